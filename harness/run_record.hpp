// The outcome of one run: what results.json and summary.csv hold per run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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
};

/// The stall probe's lateness over the measured window, in microseconds.
struct stall_summary {
  double p50 = 0, p99 = 0, max = 0;
  std::uint64_t count_over_threshold = 0;
  double threshold_us = 0;
  double total_ms = 0;  ///< summed lateness of the probes over the threshold
  std::uint64_t samples = 0;
};

struct run_record {
  run_config config;

  std::uint64_t completed = 0;  ///< tasks finished inside the measured window
  std::uint64_t drained = 0;    ///< in flight at the window's close, finished after it
  std::uint64_t errors = 0;     ///< wrong checksum, exception, lost or duplicated
  std::uint64_t issued = 0;     ///< tasks started over the whole run, warm-up included
  double window_s = 0;          ///< measured window actually used (duration)
  double throughput_per_s = 0;  ///< completed / window_s
  double offered_per_s = 0;     ///< open loop: the schedule's rate; closed: 0
  latency_summary latency;      ///< from intended start; completed + drained tasks
  stall_summary stall;
  double cpu_user_s = 0, cpu_sys_s = 0;
  std::uint64_t ctx_voluntary = 0, ctx_involuntary = 0;
  std::uint64_t rss_peak_kb = 0;
  double wall_s = 0;  ///< the whole run: setup, warm-up, window, drain, teardown
  run_status status = run_status::ok;
  std::string error;
  /// Facts the model reports about itself (e.g. "offload_threads": "6").
  std::vector<std::pair<std::string, std::string>> model_facts;
};

}  // namespace ccbench
