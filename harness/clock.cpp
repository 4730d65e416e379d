#include "harness/clock.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "harness/error.hpp"

namespace ccbench {

// ---- clock::now() off its fast path ----------------------------------------

namespace {

using steady = std::chrono::steady_clock;

// Where the TSC line starts: the first slow-path call of the process, which
// also decides whether to use the TSC at all. The rate is measured from here,
// so it improves as the process runs (1 ms of baseline: ~20 ppm; 1 s: ~0.02).
struct tsc_origin {
  bool usable = false;
  std::uint64_t tsc = 0;
  std::int64_t ns = 0;
};

// Before the baseline is this long the rate is not known well enough to
// extrapolate: now() reads CLOCK_MONOTONIC itself.
constexpr std::int64_t min_baseline_ns = 1'000'000;
// How long a line is used before it is re-anchored on a real reading: bounds
// the extrapolation error (rate error x window), and costs one CLOCK_MONOTONIC
// read per 100 us per thread.
constexpr double window_ns = 100'000;

#if defined(__x86_64__)

bool invariant_tsc() noexcept {
  unsigned a, b, c, d;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u) return false;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d & (1u << 8)) != 0;  // CPUID.80000007H:EDX[8], "invariant TSC"
}

// The kernel keeps CLOCK_MONOTONIC on the TSC only after checking that it is
// synchronized across CPUs (and switches away when it finds it is not).
bool kernel_clock_on_tsc() noexcept {
  std::FILE* f =
      std::fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  if (f == nullptr) return false;
  char buf[32] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  return ok && std::strcmp(buf, "tsc\n") == 0;
}

std::int64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct tsc_reading {
  std::uint64_t tsc;
  std::int64_t ns;
};

// A TSC value and CLOCK_MONOTONIC at the same instant: the midpoint of two TSC
// reads around one clock read, the tightest of three tries (a try that was
// preempted or interrupted is far wider than the ~60 ticks of a clean one).
tsc_reading read_pair() noexcept {
  tsc_reading best{};
  std::uint64_t best_width = ~std::uint64_t{0};
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t before = __rdtsc();
    const std::int64_t ns = monotonic_ns();
    const std::uint64_t after = __rdtsc();
    if (after - before < best_width) {
      best_width = after - before;
      best = {before + (after - before) / 2, ns};
    }
  }
  return best;
}

tsc_origin make_origin() noexcept {
  tsc_origin o;
  const char* forced = std::getenv("CCBENCH_CLOCK");
  if (forced != nullptr && std::strcmp(forced, "steady") == 0) return o;
  if (!invariant_tsc() || !kernel_clock_on_tsc()) return o;
  const tsc_reading r = read_pair();
  o.usable = true;
  o.tsc = r.tsc;
  o.ns = r.ns;
  return o;
}

#else

tsc_origin make_origin() noexcept { return {}; }

#endif

const tsc_origin& origin() noexcept {
  static const tsc_origin o = make_origin();
  return o;
}

}  // namespace

namespace detail {

// Anchors a fresh line for this thread on a real reading, or reads
// CLOCK_MONOTONIC plainly while the TSC cannot be used (window stays 0).
steady::time_point clock_slow_path() noexcept {
  const tsc_origin& o = origin();
  if (!o.usable) {
    tsc_line_now.monotonic_only = true;
#if defined(__x86_64__)
    const std::int64_t ns = monotonic_ns();  // steady_clock's reading, one call less
    tsc_line_now.last = ns;                  // for clock::last()
    return steady::time_point(std::chrono::nanoseconds(ns));
#else
    const steady::time_point t = steady::now();
    tsc_line_now.last = t.time_since_epoch().count();
    return t;
#endif
  }
#if defined(__x86_64__)
  tsc_line& l = tsc_line_now;
  const tsc_reading r = read_pair();
  const std::int64_t span_ns = r.ns - o.ns;
  l.window = 0;
  if (span_ns >= min_baseline_ns && r.tsc > o.tsc) {
    const double ns_per_tick = static_cast<double>(span_ns) / static_cast<double>(r.tsc - o.tsc);
    l.tsc = r.tsc;
    l.ns = r.ns;
    l.mult = static_cast<std::uint64_t>(std::ldexp(ns_per_tick, 32));
    l.window = static_cast<std::uint64_t>(window_ns / ns_per_tick);
  }
  const std::int64_t ns = std::max(r.ns, l.last);
  l.last = ns;
  return steady::time_point(std::chrono::nanoseconds(ns));
#else
  return steady::now();
#endif
}

}  // namespace detail

std::string_view clock::source() noexcept { return origin().usable ? "tsc" : "steady_clock"; }

// ---- durations ---------------------------------------------------------------

namespace {

// Returns an empty string on success, else what is wrong with `text`.
std::string parse_duration_into(std::string_view text, nanoseconds& out) {
  if (text.empty()) return "missing duration (e.g. 10ms)";
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) {
    if (text[0] == '-') return "durations cannot be negative";
    return "'" + std::string(text) + "' does not start with a number";
  }
  const std::string_view number = text.substr(0, digits);
  const std::string_view unit = text.substr(digits);
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) {
    return "'" + std::string(number) + "' is not a number";
  }
  double scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit.empty()) {
    return "missing unit after '" + std::string(number) + "' (use ns, us, ms or s)";
  } else {
    return "unknown unit '" + std::string(unit) + "' (use ns, us, ms or s)";
  }
  const double ns = value * scale;
  if (!std::isfinite(ns) || ns > 1e18) return "'" + std::string(text) + "' is too long";
  out = nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
  return {};
}

}  // namespace

std::string duration_problem(std::string_view text, nanoseconds& out) {
  return parse_duration_into(text, out);
}

nanoseconds parse_duration(std::string_view text, std::string_view what) {
  nanoseconds out{};
  if (std::string problem = parse_duration_into(text, out); !problem.empty()) {
    throw config_error(std::string(what) + " '" + std::string(text) + "': " + problem);
  }
  return out;
}

std::string format_duration(nanoseconds d) {
  const auto ns = static_cast<double>(d.count());
  char buf[32];
  auto fmt = [&](double v, const char* unit) {
    // Up to 3 significant decimals, no trailing zeros: 1.5s, 200us, 12.25ms.
    std::snprintf(buf, sizeof buf, "%.3f", v);
    std::string s(buf);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (ns >= 1e9) return fmt(ns / 1e9, "s");
  if (ns >= 1e6) return fmt(ns / 1e6, "ms");
  if (ns >= 1e3) return fmt(ns / 1e3, "us");
  return fmt(ns, "ns");
}

}  // namespace ccbench
