// The machine and build a run was taken on: recorded in every results file.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace ccbench {

struct host_context {
  std::string host, cpu_model, kernel, compiler, cxx_flags, build_type;
  std::string boost, tbb, git, started_at, governor, ccbench_version;
  std::string turbo;          ///< "on", "off" or "" when unreadable (intel_pstate or cpufreq boost)
  std::string clock;          ///< how the harness reads the time: "tsc" or "steady_clock"
  int cores = 0;              ///< online CPUs
  int affinity = 0;           ///< CPUs this process may run on
  double load_avg_start = 0;  ///< 1-minute load average when the runs began
  double load_avg_end = 0;    ///< ... and when they ended
  double busy_start = -1;     ///< share of all CPUs busy just before the runs (0..1)
  double cpu_rounds_per_ns = 0;  ///< cpu step calibration (cpu_burn rounds per ns)
  double wakeup_cpu_us = 0;      ///< CPU one wake-up from a 1 ms sleep costs; 0: not measured
};

/// Reads /proc, uname and the build's own facts. Never fails: unreadable fields
/// stay empty.
host_context collect_host_context();

/// Share of all CPUs busy over `window` (from /proc/stat), or -1 when unreadable.
/// Unlike the load average it does not remember the build that just finished.
double cpu_busy_fraction(std::chrono::milliseconds window);

/// 1-minute load average, or -1 when unreadable.
double load_average_1m();

/// Advice about the machine and build: not Release, busy, frequency scaling.
std::vector<std::string> host_warnings(const host_context& context);

}  // namespace ccbench
