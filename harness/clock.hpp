// The one clock of ccbench. Models never read it to report anything: the harness
// stamps intended starts, completions and probe wake-ups itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ccbench {

namespace detail {
// The calling thread's line from TSC ticks to steady_clock nanoseconds (see
// clock). Trivially destructible, so reading it is a plain TLS access.
struct tsc_line {
  std::uint64_t tsc = 0;     // the anchor: a TSC reading...
  std::int64_t ns = 0;       // ...and CLOCK_MONOTONIC at that instant
  std::uint64_t mult = 0;    // nanoseconds per tick, 32.32 fixed point
  std::uint64_t window = 0;  // ticks the line is good for; 0: no line, ask the slow path
  std::int64_t last = 0;     // the last value now() returned on this thread
  // The TSC cannot be used in this process (the kernel's clocksource is not
  // the TSC: kvm-clock on many cloud VMs): now() reads CLOCK_MONOTONIC and
  // skips the TSC read, which costs as much as the clock read on such a VM.
  bool monotonic_only = false;
};
inline thread_local tsc_line tsc_line_now;
std::chrono::steady_clock::time_point clock_slow_path() noexcept;
}  // namespace detail

/// The one clock of ccbench: steady_clock's time points (CLOCK_MONOTONIC), so
/// they mix with every library's timers, read for a fraction of the cost
/// where the CPU allows. The harness stamps several times per task, and a
/// steady_clock::now() through the vDSO costs ~16 ns (its lfence and seqlock),
/// a good part of what a task costs an event loop.
///
/// Where the TSC is invariant and the kernel itself keeps CLOCK_MONOTONIC on
/// it (clocksource "tsc", which means the kernel found it synchronized across
/// cores), now() extrapolates from the TSC along a line through a real
/// CLOCK_MONOTONIC reading taken at most 100 us ago on this thread, at a rate
/// measured against CLOCK_MONOTONIC since the process started: ~7 ns. Within
/// a thread it never goes back; between threads and against
/// steady_clock::now() it agrees to within the extrapolation error (under
/// 1 ns per 100 us at a steady rate, at most 50 ns while NTP slews the clock
/// at its 500 ppm limit) plus the TSC's own synchronization. rdtsc is not
/// ordered with the instructions around it: a stamp may be off by a few
/// dozen cycles, far below anything measured here. Elsewhere (no invariant
/// TSC, another clocksource, not x86-64, or CCBENCH_CLOCK=steady in the
/// environment) it is steady_clock::now().
struct clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;

  static time_point now() noexcept {
#if defined(__x86_64__)
    detail::tsc_line& l = detail::tsc_line_now;
    if (l.monotonic_only) return detail::clock_slow_path();
    const std::uint64_t elapsed = __rdtsc() - l.tsc;
    // Unsigned: a TSC behind the anchor (another core's, a hair behind) also
    // takes the slow path. elapsed < window keeps elapsed * mult in 64 bits.
    if (elapsed >= l.window) [[unlikely]]
      return detail::clock_slow_path();
    std::int64_t ns = l.ns + static_cast<std::int64_t>((elapsed * l.mult) >> 32);
    if (ns < l.last) [[unlikely]]
      ns = l.last;  // a fresh anchor a few ns behind the old line's end
    l.last = ns;
    return time_point(duration(ns));
#else
    const time_point t = std::chrono::steady_clock::now();
    detail::tsc_line_now.last = t.time_since_epoch().count();
    return t;
#endif
  }

  /// The last value now() returned on this thread, for a TLS load instead of a
  /// clock read: a bound on the time now that is never late, only early by
  /// whatever the thread did since that reading. For a stamp that opens a
  /// stretch of work (the stretch then also counts what ran before it since
  /// that reading), never for one that ends one. The epoch before the
  /// thread's first now().
  static time_point last() noexcept { return time_point(duration(detail::tsc_line_now.last)); }

  /// "tsc" or "steady_clock": how now() reads the time in this process.
  static std::string_view source() noexcept;
};

using time_point = clock::time_point;
using std::chrono::nanoseconds;

/// Parses "10ms", "1.5s", "200us", "750ns" (units ns us ms s). `what` names the
/// input in the error, e.g. "--duration". Throws config_error.
nanoseconds parse_duration(std::string_view text, std::string_view what);

/// Like parse_duration, without context: returns "" on success, else the problem.
std::string duration_problem(std::string_view text, nanoseconds& out);

/// Short human form: "10ms", "1.5s", "200us", "750ns".
std::string format_duration(nanoseconds d);

inline double to_us(nanoseconds d) { return std::chrono::duration<double, std::micro>(d).count(); }
inline double to_s(nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace ccbench
