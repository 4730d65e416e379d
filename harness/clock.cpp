#include "harness/clock.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "harness/error.hpp"

namespace ccbench {
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
