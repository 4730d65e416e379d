// BM_pool_*: oneTBB used as the pool model uses it: a task_arena that other
// threads enqueue into. The pool has no yield, timer or offload of its own (its
// tasks are the offload), so only spawn and handoff are measured.
#include <benchmark/benchmark.h>

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include "benchmarks/micro_server.hpp"
#include "benchmarks/micro_sizes.hpp"
#include "harness/net_protocol.hpp"
#include "harness/net_session.hpp"
#include "harness/step_source.hpp"
#include "harness/step_work.hpp"

namespace {

using ccbench::micro::spawn_batch;

// As in models/pool: one worker per core, and a global_control so that TBB
// really starts that many (it keeps one slot for an external thread otherwise).
struct pool {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tbb::global_control limit{tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads) + 1};
  tbb::task_arena arena{threads, /*reserved_for_masters=*/0};
  pool() { arena.initialize(); }
};

// Set by a pool task, awaited by the benchmark thread. Set and notify happen under
// the lock, so the waiter cannot return and free this while set() still touches it
// (an atomic's notify_one after the store could run on freed memory).
class done_flag {
 public:
  void set() {
    std::lock_guard lock(mutex_);
    done_ = true;
    cv_.notify_one();
  }
  void wait_and_reset() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    done_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

// Spawn+complete: the benchmark thread enqueues a batch and sleeps until the
// last task of the batch wakes it.
void BM_pool_spawn(benchmark::State& state) {
  pool p;
  std::atomic<int> pending{0};
  done_flag batch_done;
  while (state.KeepRunningBatch(spawn_batch)) {
    pending.store(spawn_batch, std::memory_order_relaxed);
    for (int i = 0; i < spawn_batch; ++i) {
      p.arena.enqueue([&pending, &batch_done] {
        if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) batch_done.set();
      });
    }
    batch_done.wait_and_reset();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pool_spawn)->UseRealTime();

// Ping-pong between the benchmark thread and a task on a pool worker over two
// concurrent_bounded_queues (whose pop blocks: TBB spins, then sleeps).
void BM_pool_handoff(benchmark::State& state) {
  pool p;
  tbb::concurrent_bounded_queue<int> ping, pong;
  done_flag echo_done;
  p.arena.enqueue([&] {
    for (int v = 0; ping.pop(v), v >= 0;) pong.push(v);
    echo_done.set();
  });
  int i = 0;
  for (auto _ : state) {
    ping.push(i);
    int v = 0;
    pong.pop(v);
    benchmark::DoNotOptimize(v);
    ++i;
    i &= 0xffff;
  }
  ping.push(-1);
  echo_done.wait_and_reset();                   // the task uses the queues until then
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_pool_handoff)->UseRealTime();

// One net step's round trip in the pool model's idiom: the benchmark thread
// hands the step to a pool worker, which does a blocking send and recv on a
// connection of the run's session (net_round_trip_here(), opened ahead as the
// model does) and wakes it; against the delay server on a thread of its own,
// with no delay and a 64-byte reply. The handoff to and from the worker is
// part of the figure, as it is of a pool's request.
void BM_pool_net(benchmark::State& state) {
  {
    const ccbench::micro::server_thread server;
    const ccbench::micro::net_session session(server);
    pool p;
    ccbench::net::open_idle_connection();
    done_flag done;
    ccbench::step s;
    s.kind = ccbench::step_kind::net;
    s.rounds = 64;
    std::uint64_t digest = 0;
    bool failed = false;
    for (auto _ : state) {
      ++s.seed;
      p.arena.enqueue([&] {
        try {
          digest = ccbench::net_round_trip_here(s);
        } catch (...) {
          failed = true;
        }
        done.set();
      });
      done.wait_and_reset();
      if (failed || digest != ccbench::net::expected_digest(s.seed, 64)) {
        state.SkipWithError("wrong reply");
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_pool_net)->UseRealTime();

}  // namespace
