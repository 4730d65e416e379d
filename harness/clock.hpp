// The one clock of ccbench. Models never read it to report anything: the harness
// stamps intended starts, completions and probe wake-ups itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ccbench {

using clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, read through the vDSO
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
