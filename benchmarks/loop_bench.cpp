// BM_loop_*: the price of our event loop's primitives (models/loop), BM_skynet_loop
// and the timer storm. Each benchmark runs its timing loop inside the main task of
// a fresh event_loop on the benchmark thread.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "benchmarks/micro_server.hpp"
#include "benchmarks/micro_sizes.hpp"
#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/socket.hpp"

namespace {

using namespace std::chrono_literals;
namespace loop = ccbench::loop;
using ccbench::micro::spawn_batch;
using loop::event_loop;

// Counts the tasks a waiter is waiting for; the last one to report resumes it.
// Loop thread only.
struct join_counter {
  std::size_t pending = 0;
  std::uint64_t sum = 0;
  std::coroutine_handle<> waiter;

  void add(std::uint64_t v) noexcept {
    sum += v;
    if (--pending == 0 && waiter) event_loop::current()->schedule(std::exchange(waiter, {}));
  }
  auto wait() noexcept {
    struct awaiter {
      join_counter& j;
      bool await_ready() const noexcept { return j.pending == 0; }
      void await_suspend(std::coroutine_handle<> h) const noexcept { j.waiter = h; }
      void await_resume() const noexcept {}
    };
    return awaiter{*this};
  }
};

// A one-slot channel for one sender and one receiver: the smallest thing two
// tasks can ping-pong over (event is one-shot). Loop thread only.
class mailbox {
 public:
  void send(int v) noexcept {
    value_ = v;
    if (waiter_) event_loop::current()->schedule(std::exchange(waiter_, {}));
  }
  auto receive() noexcept {
    struct awaiter {
      mailbox& m;
      bool await_ready() const noexcept { return m.value_.has_value(); }
      void await_suspend(std::coroutine_handle<> h) const noexcept { m.waiter_ = h; }
      int await_resume() const noexcept { return *std::exchange(m.value_, std::nullopt); }
    };
    return awaiter{*this};
  }

 private:
  std::optional<int> value_;
  std::coroutine_handle<> waiter_;
};

loop::task<void> yield_body(benchmark::State& state) {
  for (auto _ : state) co_await loop::yield();
}

void BM_loop_yield(benchmark::State& state) {
  event_loop l;
  l.run(yield_body(state));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_loop_yield);

loop::task<void> trivial(int& pending) {
  --pending;
  co_return;
}

loop::task<void> spawn_body(benchmark::State& state) {
  event_loop& l = *event_loop::current();
  int pending = 0;
  while (state.KeepRunningBatch(spawn_batch)) {
    for (int i = 0; i < spawn_batch; ++i) {
      ++pending;
      l.spawn(trivial(pending));
    }
    // The ready queue is FIFO: one yield lets the whole batch run to completion.
    while (pending != 0) co_await loop::yield();
  }
}

void BM_loop_spawn(benchmark::State& state) {
  event_loop l;
  l.run(spawn_body(state));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_loop_spawn);

loop::task<void> timer_body(benchmark::State& state, std::chrono::nanoseconds d) {
  for (auto _ : state) co_await loop::sleep_for(d);
}

void BM_loop_timer(benchmark::State& state, std::chrono::nanoseconds d) {
  event_loop l;
  l.run(timer_body(state, d));
  // sleep_for(0) is documented as a yield through the ready queue; say so in the
  // output, since the other models' zero-delay timers go through their timer queue.
  if (d == 0ns) state.SetLabel("ready queue, no timer");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_loop_timer, 0ms, 0ns)->UseRealTime();
BENCHMARK_CAPTURE(BM_loop_timer, 1ms, 1ms)->UseRealTime();

loop::task<void> echo(mailbox& in, mailbox& out) {
  for (int v; (v = co_await in.receive()) >= 0;) out.send(v);
}

loop::task<void> handoff_body(benchmark::State& state) {
  mailbox ping, pong;
  event_loop::current()->spawn(echo(ping, pong));
  int i = 0;
  for (auto _ : state) {
    ping.send(i);
    const int v = co_await pong.receive();
    benchmark::DoNotOptimize(v);
    ++i;
    i &= 0xffff;
  }
  ping.send(-1);
  co_await loop::yield();  // let echo finish, or run() returns with its frame leaked
}

void BM_loop_handoff(benchmark::State& state) {
  event_loop l;
  l.run(handoff_body(state));
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_loop_handoff);

loop::task<void> offload_body(benchmark::State& state) {
  for (auto _ : state) {
    const int v = co_await loop::to_thread([] { return 1; });
    benchmark::DoNotOptimize(v);
  }
}

void BM_loop_offload(benchmark::State& state) {
  event_loop l;
  l.run(offload_body(state));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_loop_offload)->UseRealTime();

// Skynet: every node is a spawned task; an inner node spawns its 10 children,
// then waits until all have reported. The ready queue is FIFO, so the tree is
// built breadth-first and at the peak every leaf's frame is alive at once.
loop::task<void> skynet(std::uint64_t num, std::uint64_t size, join_counter& parent) {
  if (size == 1) {
    parent.add(num);
    co_return;
  }
  join_counter children;
  children.pending = 10;
  size /= 10;
  event_loop& l = *event_loop::current();
  for (std::uint64_t i = 0; i < 10; ++i) l.spawn(skynet(num + i * size, size, children));
  co_await children.wait();
  parent.add(children.sum);
}

loop::task<void> skynet_body(benchmark::State& state, std::uint64_t leaves) {
  for (auto _ : state) {
    join_counter root;
    root.pending = 1;
    event_loop::current()->spawn(skynet(0, leaves, root));
    co_await root.wait();
    if (root.sum != ccbench::micro::skynet_sum(leaves)) {
      state.SkipWithError("skynet: wrong sum");
      break;
    }
  }
}

void BM_skynet_loop(benchmark::State& state) {
  const std::uint64_t leaves = ccbench::micro::skynet_leaves();
  event_loop l;
  l.run(skynet_body(state, leaves));
  const std::uint64_t tasks = leaves + (leaves - 1) / 9;  // leaves plus inner nodes
  state.counters["leaves"] = static_cast<double>(leaves);
  state.counters["tasks"] = static_cast<double>(tasks);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(tasks));
}
BENCHMARK(BM_skynet_loop)->UseRealTime()->Unit(benchmark::kMillisecond);

loop::task<void> sleeper(std::chrono::nanoseconds d, join_counter& done, std::size_t& peak) {
  // Timers armed before this one; the largest value seen is the peak pending count.
  peak = std::max(peak, event_loop::current()->pending_timers() + 1);
  co_await loop::sleep_for(d);
  done.add(0);
}

loop::task<void> timer_storm_body(benchmark::State& state, std::size_t n, std::size_t& peak) {
  event_loop& l = *event_loop::current();
  for (auto _ : state) {
    join_counter all;
    all.pending = n;
    for (std::size_t i = 0; i < n; ++i) {
      // Delays in [100 us, 1.1 ms) in a scrambled order, so the heap really sorts
      // (equal or rising deadlines would make every push O(1)); 100 us keeps each
      // deadline in the future when armed, so none takes the ready-queue shortcut.
      const auto d = 100us + std::chrono::nanoseconds((i * 2'654'435'761u) % 1'000'000u);
      l.spawn(sleeper(d, all, peak));
    }
    co_await all.wait();
  }
}

// The target: 1,000,000 pending timers armed and fired. Each timer is a
// spawned task sleeping once, so the time includes 1M spawns (see BM_loop_spawn).
void BM_loop_timers_1m(benchmark::State& state) {
  const std::size_t n = ccbench::micro::timer_storm_size();
  std::size_t peak = 0;
  event_loop l;
  l.run(timer_storm_body(state, n, peak));
  state.counters["timers"] = static_cast<double>(n);
  state.counters["pending_peak"] = static_cast<double>(peak);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_loop_timers_1m)->UseRealTime()->Unit(benchmark::kMillisecond);

// What the sleepers report to: a completion is one clock read and one histogram
// record (the least a latency benchmark does; see BM_floor_sleepers), and the
// main task waits for a batch of them. Loop thread only.
struct sleeper_tally {
  ccbench::histogram latency, lateness;
  std::uint64_t done = 0, target = 0;
  std::coroutine_handle<> waiter;

  void completed(std::int64_t ns) noexcept {
    latency.record(ns);
    if (++done == target && waiter) event_loop::current()->schedule(std::exchange(waiter, {}));
  }
  // Counted from the last target, not from `done`: a batch may end a little
  // past its target (the main task runs after the turn's other timers).
  auto next(std::uint64_t batch) noexcept {
    target += batch;
    struct awaiter {
      sleeper_tally& t;
      bool await_ready() const noexcept { return t.done >= t.target; }
      void await_suspend(std::coroutine_handle<> h) const noexcept { t.waiter = h; }
      void await_resume() const noexcept {}
    };
    return awaiter{*this};
  }
};

loop::task<void> sleeper_client(sleeper_tally& tally) {
  ccbench::time_point start = ccbench::clock::now();
  while (true) {
    co_await loop::sleep_for(ccbench::micro::sleeper_sleep, start);
    const ccbench::time_point now = ccbench::clock::now();
    tally.completed((now - start).count());
    start = now;
  }
}

loop::task<void> sleeper_probe(sleeper_tally& tally) {
  ccbench::time_point due = ccbench::clock::now() + ccbench::micro::sleeper_probe_period;
  while (true) {
    co_await loop::sleep_until(due);
    const ccbench::time_point now = ccbench::clock::now();
    tally.lateness.record((now - due).count());
    due = now + ccbench::micro::sleeper_probe_period;
  }
}

loop::task<void> sleepers_body(benchmark::State& state, std::size_t n, sleeper_tally& tally) {
  event_loop& l = *event_loop::current();
  l.spawn(sleeper_probe(tally));
  // All start at once, as a run's clients do.
  for (std::size_t i = 0; i < n; ++i) l.spawn(sleeper_client(tally));
  co_await loop::sleep_for(ccbench::micro::sleeper_warmup);
  tally.target = tally.done;
  while (state.KeepRunningBatch(ccbench::micro::sleeper_batch)) {
    co_await tally.next(ccbench::micro::sleeper_batch);
  }
  // Returning cancels the clients and the probe (run()'s clean-up).
}

// BM_floor_sleepers' load on the event loop: a coroutine a client, each
// sleeping 10 ms in turn through sleep_for, and a probe coroutine. Against the
// floor, it prices the coroutines, the timers and the frames; `ccbench run -m
// loop -w io:10ms -c 10000` adds the harness's records (segments, the ledger,
// the series) on top.
void BM_loop_sleepers(benchmark::State& state) {
  const std::size_t n = ccbench::micro::sleepers();
  const auto tally = std::make_unique<sleeper_tally>();  // two histograms: 74 KiB
  event_loop l;
  l.run(sleepers_body(state, n, *tally));
  state.counters["sleepers"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_loop_sleepers)->UseRealTime()->MinTime(ccbench::micro::sleeper_min_time());

}  // namespace

namespace {

// One net step's round trip on the loop (models/loop/socket.hpp) against the
// delay server on a thread of its own, with no delay and a 64-byte reply:
// what the loop's socket idiom adds to BM_floor_tcp_roundtrip (the server's
// share included: it runs on the same machine).
loop::task<void> net_body(benchmark::State& state, const ccbench::net::endpoint& to) {
  const std::unique_ptr<loop::fd_watch> c = co_await loop::connect_tcp(to);
  std::uint64_t nonce = 1;
  for (auto _ : state) {
    const std::uint64_t d = co_await loop::round_trip(*c, {64, 0, nonce});
    if (d != ccbench::net::expected_digest(nonce, 64)) {
      state.SkipWithError("wrong reply");
      break;
    }
    ++nonce;
  }
}

void BM_loop_net(benchmark::State& state) {
  {
    const ccbench::micro::server_thread server;
    event_loop l;
    l.run(net_body(state, server.address()));
  }
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_loop_net)->UseRealTime();

}  // namespace
