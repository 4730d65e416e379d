// The outcome of one run: what results.json and summary.csv hold per run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "harness/run_config.hpp"

namespace ccbench {

enum class run_status : std::uint8_t { ok, error, timeout };
std::string_view to_string(run_status status);

/// Latency percentiles in microseconds.
struct latency_summary {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
  std::uint64_t count = 0;
  double min = 0;
  bool operator==(const latency_summary&) const = default;
};

/// A percentile's confidence interval in microseconds, from order statistics
/// (harness/percentile_interval.hpp); a side is -1 when too few samples bound
/// it: unbounded.
struct percentile_ci {
  double low = -1, high = -1;
  bool operator==(const percentile_ci&) const = default;
};

/// The intervals of latency_summary's percentiles.
struct latency_interval {
  double confidence = 0;  ///< 0.95; 0 when not recorded (files from before it was)
  percentile_ci p50, p90, p99, p999;
  bool operator==(const latency_interval&) const = default;
};

/// The stall probe's lateness over the measured window, in microseconds.
struct stall_summary {
  double p50 = 0, p99 = 0, max = 0;
  std::uint64_t count_over_threshold = 0;
  double threshold_us = 0;
  double total_ms = 0;  ///< summed lateness of the probes over the threshold
  std::uint64_t samples = 0;
};

/// A resume or stall, for the stall log.
struct stall_event {
  double at_ms = 0;  ///< start, from the window's opening (negative: warm-up)
  double length_ms = 0;
  std::int64_t task = -1;  ///< -1: nothing attributable was running (scheduler overhead)
  std::string step;        ///< "io", "cpu", "block" or "" when unknown
  std::int32_t step_index = -1;
  bool operator==(const stall_event&) const = default;
};

/// One request class of a mix (`--mix`), measured: its tasks alone.
struct class_result {
  std::string name;
  double weight = 0;        ///< as given
  double share = 0;         ///< weight over the sum of the weights (the expected share of tasks)
  double task_mean_us = 0;  ///< expected time of one of its tasks with no queueing
  std::uint64_t completed = 0;  ///< its tasks finished inside the measured window
  std::uint64_t drained = 0;    ///< its tasks finished after the window's close
  latency_summary latency;      ///< from intended start, as run_record::latency
  latency_interval latency_ci;  ///< its percentiles' 95% intervals, as run_record::latency_ci
  double stall_log_ms = 0;      ///< summed length of the stall-log entries of its tasks
  double stall_log_share = 0;   ///< that over the summed length of the whole stall log
  /// Its latency histogram, as run_record::latency_bucket_ns and _count.
  std::vector<std::uint64_t> latency_bucket_ns, latency_bucket_count;
  bool operator==(const class_result&) const = default;
};

/// Per-interval view of a run, for timeline charts.
struct time_series {
  double interval_ms = 0;
  std::vector<double> t_ms;  ///< interval starts, from the window's opening
  std::vector<std::uint64_t> completed;
  std::vector<double> p99_us;
  std::vector<double> stall_max_us;
};

/// How the built-in sweeps size a model's --threads.
enum class thread_sizing : std::uint8_t {
  one,       ///< one thread: the model has one by definition (ignores --threads)
  cores,     ///< one thread (or worker process) per core
  per_task,  ///< a thread per task in flight where the sweep asks for that (the classic
             ///< thread-per-request server), else one per core
};
std::string_view to_string(thread_sizing sizing);

/// What the registry says of a model (harness/cli/registry.cpp). Every run
/// carries its model's traits, so that readers of results (plot/) need no list
/// of models of their own.
struct model_traits {
  bool uses_threads = true;  ///< --threads sizes it (false: one thread by definition)
  bool cooperative = false;  ///< a non-blocking wait frees its thread for other tasks
  bool offload_thread = false, offload_process = false;  ///< --offload modes beyond none
  bool sweep = true;                                     ///< a candidate of the built-in sweeps
  thread_sizing sweep_threads = thread_sizing::cores;    ///< its --threads in the built-in sweeps
  int order = 0;  ///< place in legends and tables (lower first)
  /// Runs in a Python interpreter (--python): asyncio, uvloop.
  bool python = false;
  /// A copy of the model per thread, each its own scheduler pinned to its own
  /// CPU, sharing nothing with the others (a loop per core): shards,
  /// asio-shards.
  bool shares_nothing = false;
  /// Chart colours ("#rrggbb") for offload none, thread and process, and a
  /// matplotlib marker; empty: the chart picks one.
  std::string color, color_thread, color_process, marker;
};

/// A fact a model reports about itself: a number, or text.
struct model_fact {
  std::string key;
  std::variant<std::string, double> value;
  bool operator==(const model_fact&) const = default;
};

struct run_record {
  run_config config;
  model_traits traits;  ///< of config.model, from the registry

  std::uint64_t completed = 0;          ///< tasks finished inside the measured window
  std::uint64_t drained = 0;            ///< in flight at the window's close, finished after it
  std::uint64_t errors = 0;             ///< wrong checksum, exception, lost or duplicated
  std::uint64_t issued = 0;             ///< tasks started over the whole run, warm-up included
  double window_s = 0;                  ///< measured window actually used (duration)
  double throughput_per_s = 0;          ///< completed / window_s
  double offered_per_s = 0;             ///< open loop: the schedule's rate; closed: 0
  latency_summary latency;              ///< from intended start; completed + drained tasks
  latency_summary latency_uncorrected;  ///< from actual start (what coordinated omission shows)
  latency_interval latency_ci;          ///< how sure each of latency's percentiles is
  /// --precision: how far the p99's 95% interval reaches from it at the end,
  /// relative to it (0.04: within +-4%); -1 when unbounded or not asked.
  double precision_reached = -1;
  std::vector<double> spectrum_percentiles, spectrum_corrected_us, spectrum_uncorrected_us;
  double generator_lag_ms = -1;  ///< open loop: worst launch delay behind schedule; -1 n/a
  stall_summary stall;
  // Event-loop models: resumes (time between two suspensions of a task).
  std::uint64_t resumes = 0, slow_resumes = 0;
  double slow_threshold_us = 0, resume_p99_us = 0, resume_max_us = 0;
  double busy_ratio = -1;  ///< share of scheduler-thread time running tasks; -1 n/a
  // Pool-like models: ready-to-running wait.
  std::uint64_t queue_waits = 0;
  double queue_wait_p50_us = 0, queue_wait_p99_us = 0, queue_wait_max_us = 0;
  std::vector<stall_event> stall_log;  ///< the longest 1000 at most, in time order
  time_series series;
  double task_mean_io_us = 0, task_mean_cpu_us = 0, task_mean_block_us = 0;
  double task_mean_net_us = 0;
  double cpu_user_s = 0, cpu_sys_s = 0;  ///< the whole run (set-up to teardown), workers included
  /// CPU over the measured window alone (worker processes included): what the
  /// window's completed tasks cost. -1 when the window never opened.
  double cpu_window_user_s = -1, cpu_window_sys_s = -1;
  /// Closed loop: from the run's start until every client had taken its first
  /// task. The warm-up starts only then, so that a slow start (200,000 fibers
  /// to create) cannot eat the window.
  double ramp_ms = 0;
  std::uint64_t ctx_voluntary = 0, ctx_involuntary = 0;
  std::uint64_t rss_peak_kb = 0;
  std::uint64_t rss_start_kb = 0;  ///< resident when the run started (inherited pages included)
  /// Worker processes (procs, --offload process): their proportional set size
  /// summed at the window's close, so that pages they share with the run's
  /// process or each other count once. -1 when the run had none.
  std::int64_t workers_pss_kb = -1;
  /// The host's noise over the measured window (harness/host_noise.hpp): CPU
  /// time stolen from the machine's CPUs, and CPU used by processes other
  /// than the run's own, over `host_cpus` online CPUs. -1 when unknown.
  double host_steal_s = -1, host_foreign_cpu_s = -1;
  int host_cpus = -1;
  /// The CPUs the run's process could use ("0-1", cpuset(7) format): the first
  /// config.cpus allowed ones under --cpus, else every allowed one.
  std::string cpu_set;
  double wall_s = 0;  ///< the whole run: setup, warm-up, window, drain, teardown
  // Net steps: the delay server (config.server) and what it said of the run.
  std::string net_server_origin;  ///< "child" (started for the run) or "external" (--server)
  std::int64_t net_server_requests = -1;      ///< replies it sent during the run; -1 unknown
  double net_server_cpu_per_request_us = -1;  ///< its CPU over the run / requests; -1 unknown
  double net_server_lateness_p99_us = -1;     ///< how late its replies left; -1 unknown
  double net_server_lateness_max_us = -1;
  /// Connections the run's clients opened to it; -1 unknown (no net steps).
  std::int64_t net_connections = -1;
  /// Of those, the ones opened at or after the warm-up's start (the load had
  /// started): 0 when every connection was open before, as the driver opens
  /// them; a reconnect after a lost one, or an open loop's pool growing.
  std::int64_t net_connections_late = -1;
  run_status status = run_status::ok;
  std::string error;
  /// Facts the model reports about itself (e.g. "offload_threads": 6).
  std::vector<model_fact> model_facts;
  /// A mix's request classes, in the order given; empty for a plain workload.
  std::vector<class_result> classes;
  /// The latency histogram itself (the one `latency` summarizes): each bucket
  /// that holds samples, as its highest equivalent value (clamped to the
  /// recorded min and max) and its count, in increasing order. What the .hgrm
  /// export (harness/hgrm.hpp) is written from.
  std::vector<std::uint64_t> latency_bucket_ns, latency_bucket_count;
  /// Against config.slo (harness/slo.hpp): 1 met, 0 broken, -1 no objective.
  int slo_met = -1;
  std::uint64_t slo_breaches = 0;
  std::string slo_worst;  ///< the worst breach, "" when met
};

}  // namespace ccbench
