// Per-run CPU time, context switches and peak RSS (getrusage is cumulative, so
// a run takes differences; the peak RSS is reset through /proc/self/clear_refs).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>

namespace ccbench {

struct resource_snapshot {
  double user_s = 0, sys_s = 0;
  std::uint64_t voluntary = 0, involuntary = 0;

  /// This process plus its reaped children (worker processes).
  static resource_snapshot now() noexcept;
  /// now() plus the CPU of `live` children not reaped yet (worker processes,
  /// read from /proc/PID/stat: clock ticks, 10 ms on most kernels).
  static resource_snapshot now(std::span<const pid_t> live) noexcept;
  resource_snapshot operator-(const resource_snapshot& earlier) const noexcept;
};

/// User + sys CPU seconds of process `pid` so far, from /proc/PID/stat (clock
/// ticks); -1 if unreadable.
double process_cpu_s(pid_t pid) noexcept;

/// Resets this process's peak resident set (VmHWM) to the current RSS.
void reset_peak_rss() noexcept;
/// VmHWM of this process in KiB; 0 when /proc is unreadable.
std::uint64_t peak_rss_kb() noexcept;

/// Proportional set size of process `pid` now, in KiB (a page shared by n
/// processes counts 1/n in each); -1 if unreadable.
std::int64_t pss_kb(pid_t pid) noexcept;

/// Resident memory now (VmRSS), in KiB; 0 if unreadable. In a forked run this
/// includes the pages inherited from the suite's process (its results so far).
std::uint64_t current_rss_kb() noexcept;

}  // namespace ccbench
