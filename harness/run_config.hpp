// One configuration to run: what the CLI expands a matrix into, and what a
// results file records beside each outcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/clock.hpp"
#include "harness/step_source.hpp"

namespace ccbench {

/// Where an event-loop model sends steps that would hold its scheduler.
enum class offload_mode : std::uint8_t {
  none,     ///< every step runs on the scheduler thread
  thread,   ///< block steps go to a thread pool (asyncio.to_thread)
  process,  ///< block steps to threads, cpu steps to worker processes (a process pool)
};
std::string_view to_string(offload_mode mode);
/// Throws config_error naming `what` for anything but none|thread|process.
offload_mode parse_offload(std::string_view text, std::string_view what);

/// What a model is asked to be.
struct model_options {
  int threads = 1;  ///< scheduler threads or workers
  offload_mode offload = offload_mode::none;
  int offload_threads = 0;  ///< 0: the model's default (asyncio's min(32, cores + 4))
  std::string python;       ///< a Python model's interpreter (--python); "" for the others
};

/// Threads an offload pool may start: --offload-threads, else asyncio's
/// default, min(32, cores + 4).
int offload_thread_count(const model_options& options);
/// Worker processes for --offload process: --offload-threads, else one per core.
int offload_process_count(const model_options& options);

enum class arrival_kind : std::uint8_t {
  closed,  ///< `concurrency` tasks in flight, each replaced when it finishes
  open,    ///< Poisson arrivals at `rate` per second on a precomputed schedule
};
std::string_view to_string(arrival_kind kind);

struct run_config {
  std::string model;
  model_options options;
  std::string workload;  ///< canonical spec
  std::string scenario;  ///< scenario name, or "" when given with --workload
  arrival_kind arrival = arrival_kind::closed;
  std::uint64_t concurrency = 1;
  double rate = 0;  ///< tasks/s, open loop only
  nanoseconds warmup{std::chrono::milliseconds(500)};
  nanoseconds duration{std::chrono::seconds(2)};
  nanoseconds timeout{0};  ///< 0: default_timeout()
  nanoseconds stall_period{std::chrono::milliseconds(1)};
  nanoseconds stall_threshold{std::chrono::milliseconds(1)};
  nanoseconds slow_threshold{std::chrono::microseconds(100)};   ///< a resume this long is slow
  nanoseconds series_interval{std::chrono::milliseconds(100)};  ///< time-series bucket
  /// --precision: keep the window open past `duration` until the p99's 95%
  /// interval reaches no further than this fraction of it (0.05), or until
  /// `max_duration`. 0: the window is `duration`.
  double precision = 0;
  nanoseconds max_duration{0};  ///< --max-duration: the longest window --precision may use
  std::uint64_t seed = 1;
  int repetition = 0;
  std::string group;  ///< which part of a sweep made this run ("" for `ccbench run`)
  std::string slo;    ///< the user's objective (--slo), canonical; "" for none
  int cpus = 0;  ///< --cpus: the run may use only the first k CPUs it is allowed (0: all of them)
  /// The delay server of net steps, "ADDR:PORT" (--server, or the one the
  /// suite started for the run); "" when the workload has none.
  std::string server;
  fault_injection faults;  ///< tests only: never set by the CLI, never recorded
  /// The delay server the suite started for this run (a process id), whose CPU
  /// is the run's apparatus, not the host's noise; -1 for none. Never recorded.
  int server_pid = -1;

  /// Bound on the whole run (warm-up, window, drain) when --timeout is not given:
  /// three times warm-up plus window, plus 10 s for slow drains.
  nanoseconds effective_timeout() const {
    return timeout.count() > 0 ? timeout
                               : 3 * (warmup + longest_window()) + std::chrono::seconds(10);
  }
  /// The longest the measured window may be: `max_duration` with --precision,
  /// else `duration`.
  nanoseconds longest_window() const {
    return precision > 0 && max_duration > duration ? max_duration : duration;
  }
};

}  // namespace ccbench
