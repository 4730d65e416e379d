// BM_fiber_*: Boost.Fiber used directly (this_fiber::yield, fiber create + join,
// sleep_for, buffered_channel, a promise fulfilled from a thread), and
// BM_skynet_fiber. Everything runs on the benchmark thread's fiber scheduler
// (round_robin, the default); the timing loop runs in the thread's main fiber.
#include <benchmark/benchmark.h>

#include <boost/context/stack_traits.hpp>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "benchmarks/micro_server.hpp"
#include "benchmarks/micro_sizes.hpp"
#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/net_protocol.hpp"
#include "models/fiber/fiber_net.hpp"

namespace {

using namespace std::chrono_literals;
namespace fibers = boost::fibers;
using ccbench::micro::spawn_batch;

// Fiber stacks come from a pool (Boost.Fiber's fastest allocator) in every
// benchmark here; the default allocator mallocs 128 KiB per fiber.
using stack_pool = fibers::pooled_fixedsize_stack;

void BM_fiber_yield(benchmark::State& state) {
  for (auto _ : state) boost::this_fiber::yield();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_fiber_yield);

void BM_fiber_spawn(benchmark::State& state) {
  stack_pool stacks;
  fibers::fiber batch[spawn_batch];
  int done = 0;
  while (state.KeepRunningBatch(spawn_batch)) {
    for (fibers::fiber& f : batch)
      f = fibers::fiber(std::allocator_arg, stacks, [&done] { ++done; });
    // The first join suspends this fiber and the batch runs; the rest are done.
    for (fibers::fiber& f : batch) f.join();
  }
  benchmark::DoNotOptimize(done);
  state.SetLabel("pooled_fixedsize_stack");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_fiber_spawn);

void BM_fiber_timer(benchmark::State& state, std::chrono::nanoseconds d) {
  for (auto _ : state) boost::this_fiber::sleep_for(d);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_fiber_timer, 0ms, 0ns)->UseRealTime();
BENCHMARK_CAPTURE(BM_fiber_timer, 1ms, 1ms)->UseRealTime();

void BM_fiber_handoff(benchmark::State& state) {
  // Capacity 2 is the smallest buffered_channel (a power of two); a push never
  // waits for the receiver.
  fibers::buffered_channel<int> ping{2}, pong{2};
  fibers::fiber echo([&] {
    for (int v; ping.pop(v) == fibers::channel_op_status::success && v >= 0;) pong.push(v);
  });
  int i = 0;
  for (auto _ : state) {
    ping.push(i);
    const int v = pong.value_pop();
    benchmark::DoNotOptimize(v);
    ++i;
    i &= 0xffff;
  }
  ping.push(-1);
  echo.join();
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_fiber_handoff);

// A plain thread that fulfils the promises handed to it: Boost.Fiber's way to
// wait for work done off the scheduler's thread.
class fulfiller {
 public:
  fulfiller() : thread_([this] { work(); }) {}
  ~fulfiller() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }
  void submit(fibers::promise<int> p) {
    {
      std::lock_guard lock(mutex_);
      job_.emplace(std::move(p));
    }
    ready_.notify_one();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    while (true) {
      ready_.wait(lock, [this] { return stopping_ || job_.has_value(); });
      if (!job_) return;
      // The promise moves here, so set_value never races the waiter freeing it.
      fibers::promise<int> p = std::move(*job_);
      job_.reset();
      lock.unlock();
      p.set_value(1);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<fibers::promise<int>> job_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

void BM_fiber_offload(benchmark::State& state) {
  fulfiller worker;
  for (auto _ : state) {
    fibers::promise<int> p;
    fibers::future<int> f = p.get_future();
    worker.submit(std::move(p));
    const int v = f.get();
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_fiber_offload)->UseRealTime();

// Skynet as in Boost.Fiber's performance/fiber/skynet_join.cpp: every node is a
// fiber; an inner node creates its 10 children, then joins each. New fibers wait
// in round_robin's FIFO, so the tree is built breadth-first and every fiber of a
// level is alive before the next level runs.
void skynet(stack_pool& stacks, std::uint64_t& out, std::uint64_t num, std::uint64_t size) {
  if (size == 1) {
    out = num;
    return;
  }
  std::uint64_t results[10];
  fibers::fiber children[10];
  size /= 10;
  for (std::uint64_t i = 0; i < 10; ++i) {
    children[i] = fibers::fiber(std::allocator_arg, stacks, skynet, std::ref(stacks),
                                std::ref(results[i]), num + i * size, size);
  }
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < 10; ++i) {
    children[i].join();
    sum += results[i];
  }
  out = sum;
}

void BM_skynet_fiber(benchmark::State& state) {
  const std::uint64_t leaves = ccbench::micro::skynet_fiber_leaves();
  // Two pages per stack: one page, as upstream's skynet uses on Linux, overflows
  // in fiber::join with Debian's Boost 1.81. The pool keeps the stacks across
  // iterations; it writes its free list into each stack's first page and a fiber
  // uses the top one, so both pages of every live fiber are resident.
  stack_pool stacks(2 * boost::context::stack_traits::page_size());
  for (auto _ : state) {
    std::uint64_t sum = 0;
    fibers::fiber(std::allocator_arg, stacks, skynet, std::ref(stacks), std::ref(sum),
                  std::uint64_t{0}, leaves)
        .join();
    if (sum != ccbench::micro::skynet_sum(leaves)) {
      state.SkipWithError("skynet: wrong sum");
      break;
    }
  }
  const std::uint64_t tasks = leaves + (leaves - 1) / 9;
  state.counters["leaves"] = static_cast<double>(leaves);
  state.counters["tasks"] = static_cast<double>(tasks);
  state.SetLabel(leaves == 1'000'000 ? "pooled_fixedsize_stack, 2 pages"
                                     : "pooled_fixedsize_stack, 2 pages; NOT 1M leaves "
                                       "(CCBENCH_MICRO_FIBER_FULL=1)");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(tasks));
}
BENCHMARK(BM_skynet_fiber)->UseRealTime()->Unit(benchmark::kMillisecond);

// BM_fiber_sleepers: the load of `ccbench run -m fiber -t 1 -w io:10ms -c
// 10000` as a bare Boost.Fiber program (the bare program BM_loop_sleepers is
// for the loop): a fiber a client, each sleeping until 10 ms after its last
// completion, and a probe fiber every 1 ms, on this thread's round_robin
// scheduler, with pooled 32 KiB stacks as the fiber model has. A completion
// is one clock read and one histogram record, as in BM_floor_sleepers. One
// iteration is one completion; the CPU time per iteration is the figure that
// the fiber model inside ccbench is held to (within 1.3x).
void BM_fiber_sleepers(benchmark::State& state) {
  struct tally {
    ccbench::histogram latency, lateness;
    std::uint64_t done = 0, target = 0;
    bool stop = false;
    fibers::mutex mutex;  // fiber primitives: waiting suspends the main fiber only
    fibers::condition_variable batch_done;
    std::size_t live = 0;
  };
  const std::size_t n = ccbench::micro::sleepers();
  const auto t = std::make_unique<tally>();
  stack_pool stacks(32 * 1024);
  auto spawn = [&](auto fn) {
    ++t->live;
    fibers::fiber(std::allocator_arg, stacks, [&t, fn] {
      fn();
      if (--t->live == 0) t->batch_done.notify_all();
    }).detach();
  };
  spawn([&t] {
    ccbench::time_point due = ccbench::clock::now() + ccbench::micro::sleeper_probe_period;
    while (!t->stop) {
      boost::this_fiber::sleep_until(due);
      const ccbench::time_point now = ccbench::clock::now();
      t->lateness.record((now - due).count());
      due = now + ccbench::micro::sleeper_probe_period;
    }
  });
  for (std::size_t i = 0; i < n; ++i) {  // all start at once, as a run's clients do
    spawn([&t] {
      ccbench::time_point start = ccbench::clock::now();
      while (!t->stop) {
        boost::this_fiber::sleep_until(start + ccbench::micro::sleeper_sleep);
        const ccbench::time_point now = ccbench::clock::now();
        t->latency.record((now - start).count());
        start = now;
        if (++t->done == t->target) t->batch_done.notify_one();
      }
    });
  }
  boost::this_fiber::sleep_for(ccbench::micro::sleeper_warmup);
  t->target = t->done;
  while (state.KeepRunningBatch(ccbench::micro::sleeper_batch)) {
    t->target += ccbench::micro::sleeper_batch;  // from the target: see BM_floor_sleepers
    std::unique_lock lock(t->mutex);
    t->batch_done.wait(lock, [&] { return t->done >= t->target; });
  }
  t->stop = true;  // every fiber ends at its next wake-up
  std::unique_lock lock(t->mutex);
  t->batch_done.wait(lock, [&] { return t->live == 0; });
  state.counters["sleepers"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations());
}
// Real time paces the run; the CPU time per iteration is the figure.
BENCHMARK(BM_fiber_sleepers)->UseRealTime()->MinTime(ccbench::micro::sleeper_min_time());

// One net step's round trip in the fiber model's idiom (models/fiber/
// fiber_net.hpp: a non-blocking socket; the fiber suspends, and the thread's
// scheduler, the model's one-thread stamped_round_robin, waits in its epoll
// and wakes it) against the delay server on a thread of its own, with no
// delay and a 64-byte reply: beside BM_loop_net, BM_asio_net and
// BM_floor_tcp_roundtrip. The fiber is the benchmark thread's main fiber.
void BM_fiber_net(benchmark::State& state) {
  {
    const ccbench::micro::server_thread server;
    ccbench::fibernet::net_poller poller;
    fibers::use_scheduling_algorithm<ccbench::fibernet::stamped_round_robin>(&poller);
    {
      const auto c = ccbench::fibernet::connect(poller, server.address());
      std::uint64_t nonce = 1;
      for (auto _ : state) {
        const std::uint64_t d =
            ccbench::fibernet::round_trip(poller, *c, {64, 0, nonce}, server.address());
        if (d != ccbench::net::expected_digest(nonce, 64)) {
          state.SkipWithError("wrong reply");
          break;
        }
        ++nonce;
      }
    }
    // The other benchmarks run on Boost's default scheduler.
    fibers::use_scheduling_algorithm<fibers::algo::round_robin>();
  }
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_fiber_net)->UseRealTime();

}  // namespace
