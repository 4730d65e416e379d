// A pool of pre-started worker processes that run task steps synchronously,
// fed over Unix stream sockets by one dispatcher thread: the harness's
// ProcessPoolExecutor, used by the `procs` model and by `--offload process`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/clock.hpp"
#include "harness/step_source.hpp"

namespace ccbench {

/// Pids of every live worker process of every process_pool in this process,
/// for the runner's CPU and memory figures. Any thread.
std::vector<pid_t> live_worker_pids();

/// Counts process `pid` and its descendants (read from /proc at each call) as
/// worker processes in live_worker_pids() until forget_worker_process(pid):
/// for a model that runs in a process of its own (a Python interpreter). Any
/// thread.
void count_worker_process(pid_t pid);
void forget_worker_process(pid_t pid);

/// A job handed to a process_pool. It lives wherever the submitter keeps it (a
/// coroutine frame, a client object) until done() has been called.
class process_job {
 public:
  /// Called exactly once per submit(), on the pool's dispatcher thread, when the
  /// job ended. Must not block; may call submit() (also on this pool).
  /// `checksum`: the job's cpu results folded (fold_checksum, in step order)
  /// into the `acc` it was submitted with; 0 when `error` is not empty.
  /// `error`: empty on success, else why the job did not run to the end (its
  /// worker died, the pool stopped or is broken). The view dies with the call.
  virtual void done(std::uint64_t checksum, std::string_view error) noexcept = 0;
  /// Called on the dispatcher thread when the job leaves the queue for a
  /// worker (ready -> running). Must not block or submit.
  virtual void started() noexcept {}

 protected:
  ~process_job() = default;
};

/// What the dispatcher saw so far (relaxed counters: exact once the jobs ended).
struct process_pool_stats {
  std::uint64_t jobs_sent = 0;      ///< jobs handed to a worker
  nanoseconds queue_wait_total{0};  ///< sum over jobs of submit() -> sent to a worker
  nanoseconds queue_wait_max{0};
  std::uint64_t workers_died = 0;     ///< workers that died or were killed outside shutdown
  std::uint64_t workers_started = 0;  ///< including replacements
};

/// Worker processes, each running one job at a time; jobs wait in one FIFO
/// queue for the next idle worker.
///
/// A worker that dies mid-job fails that job (done() with "worker PID died with
/// SIGNAL") and is replaced. When replacing is not possible (fork fails, or
/// replacements keep dying without finishing a job) the pool is broken: every
/// queued and later job fails with the reason. No path waits forever.
class process_pool {
 public:
  /// Starts `workers` (>= 1) processes now. Throws std::system_error when one
  /// cannot be forked (what was started is stopped first). `connect_workers`
  /// (a run with net steps whose tasks all run in the workers): each gets its
  /// connection to the run's delay server now, opened before the fork; a
  /// replacement opens its own at its first net step.
  explicit process_pool(int workers, bool connect_workers = false);
  /// Stops: queued jobs and jobs still running get done() with "process pool
  /// stopped"; every worker is killed and reaped, the dispatcher joined and
  /// every descriptor closed before it returns. Don't submit() from other
  /// threads once it has started (done() callbacks may: those jobs fail too).
  ~process_pool();
  process_pool(const process_pool&) = delete;
  process_pool& operator=(const process_pool&) = delete;

  /// Any thread; never blocks on workers (takes a mutex briefly). Queues a job
  /// that runs `steps` in order on one worker (io steps sleep there, block steps
  /// block it). The steps are copied. An empty `steps` is the stall probe: a
  /// worker answers at once, so done() says when a worker picked it up.
  void submit(std::span<const step> steps, std::uint64_t acc, process_job& job);

  int workers() const noexcept { return workers_; }
  /// Pids of the live workers (replacements included). Any thread; for tests.
  std::vector<pid_t> pids() const;
  /// Sum of the live workers' peak resident sets (VmHWM, KiB), read now from
  /// /proc. Call before destroying the pool. Counts pages a worker shares
  /// copy-on-write with this process, as `ps` does.
  std::uint64_t peak_rss_kb() const;
  /// True once the pool gave up replacing workers; every job fails from then on.
  bool broken() const noexcept;
  process_pool_stats stats() const noexcept;

 private:
  struct state;
  int workers_;
  std::unique_ptr<state> state_;
};

}  // namespace ccbench
