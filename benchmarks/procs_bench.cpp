// BM_procs_*: the harness's process pool (harness/process_pool.hpp) as the procs
// model and --offload process use it: jobs framed over Unix sockets to
// pre-forked workers. A "task" here is an empty job (the pool's probe), so the
// figures are the pool's own cost: a round trip through the dispatcher thread,
// a socket and a worker process.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "benchmarks/micro_server.hpp"
#include "benchmarks/micro_sizes.hpp"
#include "harness/net_protocol.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"
#include "harness/step_source.hpp"
#include "harness/step_work.hpp"

namespace {

using ccbench::micro::spawn_batch;

// Counts finished jobs; wakes the benchmark thread when a batch is done. Set and
// notify under the lock (the waiter may return and free it right after).
class batch_job final : public ccbench::process_job {
 public:
  void expect(int n) {
    std::lock_guard lock(mutex_);
    left_ = n;
  }
  void done(std::uint64_t, std::string_view error) noexcept override {
    std::lock_guard lock(mutex_);
    failed_ |= !error.empty();
    if (--left_ == 0) cv_.notify_one();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return left_ == 0; });
    return !failed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int left_ = 0;
  bool failed_ = false;
};

int cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// Spawn+complete: a batch of empty jobs across one worker per core.
void BM_procs_spawn(benchmark::State& state) {
  ccbench::process_pool pool(cores());
  batch_job job;
  while (state.KeepRunningBatch(spawn_batch)) {
    job.expect(static_cast<int>(spawn_batch));
    for (std::size_t i = 0; i < spawn_batch; ++i) pool.submit({}, 0, job);
    if (!job.wait()) {
      state.SkipWithError("a job failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_procs_spawn)->UseRealTime();

// One round trip: submit a job and wait for it (what --offload process pays per
// cpu step, before the step's own work).
void BM_procs_offload(benchmark::State& state) {
  ccbench::process_pool pool(1);
  batch_job job;
  for (auto _ : state) {
    job.expect(1);
    pool.submit({}, 0, job);
    if (!job.wait()) {
      state.SkipWithError("a job failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_procs_offload)->UseRealTime();

// A job that keeps its checksum. Set and notify under the lock (the waiter
// may return and free it right after).
class checked_job final : public ccbench::process_job {
 public:
  void done(std::uint64_t sum, std::string_view error) noexcept override {
    std::lock_guard lock(mutex_);
    sum_ = sum;
    failed_ = !error.empty();
    done_ = true;
    cv_.notify_one();
  }
  // The job's checksum, or nullopt when it failed.
  std::optional<std::uint64_t> wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    done_ = false;
    if (failed_) return std::nullopt;
    return sum_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t sum_ = 0;
  bool done_ = false, failed_ = false;
};

// One net step's round trip in the procs model's idiom: the step goes to a
// worker process, which does a blocking send and recv on its own connection
// (opened by the pool before the fork, as for a run), and its answer comes
// back; against the delay server on a thread of this process, with no delay
// and a 64-byte reply. The trip to the worker and back is part of the figure
// (BM_procs_offload alone), as it is of every procs task.
void BM_procs_net(benchmark::State& state) {
  {
    const ccbench::micro::server_thread server;
    const ccbench::micro::net_session session(server);
    ccbench::process_pool pool(1, /*connect_workers=*/true);
    checked_job job;
    ccbench::step s;
    s.kind = ccbench::step_kind::net;
    s.rounds = 64;
    for (auto _ : state) {
      ++s.seed;
      pool.submit(std::span(&s, 1), 0, job);
      const std::optional<std::uint64_t> sum = job.wait();
      if (!sum || *sum != ccbench::fold_checksum(0, ccbench::net::expected_digest(s.seed, 64))) {
        state.SkipWithError("wrong reply");
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_procs_net)->UseRealTime();

}  // namespace
