#include "harness/workload.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "harness/error.hpp"

namespace ccbench {
namespace {

constexpr std::size_t max_steps = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string format_percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", p);
  return buf;
}

// Parses one `KIND:[~]DURATION[@P%]`; returns the problem, or "" when it parsed.
std::string parse_step(std::string_view text, step_spec& out) {
  const auto colon = text.find(':');
  if (text.empty()) return "empty step (two commas in a row?)";
  if (colon == std::string_view::npos) {
    return "step '" + std::string(text) + "' has no ':' (write KIND:DURATION, e.g. io:10ms)";
  }
  const std::string_view kind = trim(text.substr(0, colon));
  if (kind == "io") {
    out.kind = step_kind::io;
  } else if (kind == "cpu") {
    out.kind = step_kind::cpu;
  } else if (kind == "block") {
    out.kind = step_kind::block;
  } else {
    return "unknown step kind '" + std::string(kind) + "' (use io, cpu or block)";
  }
  std::string_view rest = trim(text.substr(colon + 1));
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view p = trim(rest.substr(at + 1));
    rest = trim(rest.substr(0, at));
    if (p.empty() || p.back() != '%') {
      return "probability '@" + std::string(p) + "' must end in % (e.g. @0.5%)";
    }
    p.remove_suffix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || end != p.data() + p.size() || !(value > 0.0) || value > 100.0) {
      return "probability '@" + std::string(p) + "%' must be a number in (0, 100]";
    }
    out.percent = value;
  }
  if (!rest.empty() && rest.front() == '~') {
    out.exponential = true;
    rest.remove_prefix(1);
  }
  if (std::string problem = duration_problem(rest, out.mean); !problem.empty()) return problem;
  return {};
}

std::string canonical(const step_spec& s) {
  std::string out(to_string(s.kind));
  out += ':';
  if (s.exponential) out += '~';
  out += format_duration(s.mean);
  if (s.percent < 100.0) out += "@" + format_percent(s.percent) + "%";
  return out;
}

constexpr std::array<scenario, 7> builtin_scenarios{{
    {"io", "io:10ms", "waiting on the network: one 10 ms non-blocking wait, no CPU"},
    {"cpu", "cpu:1ms", "pure computation: a 1 ms CPU burst"},
    {"block", "block:5ms", "a synchronous driver you can't change: a 5 ms blocking call"},
    {"mixed", "io:~5ms,cpu:~200us,block:~1ms",
     "a web request: await a backend, compute, then a short synchronous call"},
    {"io-cpu", "io:10ms,cpu:1ms", "waiting with real work after it: 10 ms wait, 1 ms compute"},
    {"rare-block", "io:1ms,block:100ms@0.5%",
     "fast waits with a rare slow synchronous path (0.5% of tasks block 100 ms)"},
    {"cpu-heavy", "io:1ms,cpu:5ms", "mostly computation: 1 ms wait, 5 ms CPU burst"},
}};

}  // namespace

std::string_view to_string(step_kind kind) {
  switch (kind) {
    case step_kind::io:
      return "io";
    case step_kind::cpu:
      return "cpu";
    case step_kind::block:
      return "block";
  }
  return "?";
}

workload workload::parse(std::string_view text) {
  auto fail = [&](const std::string& problem) {
    return config_error("bad workload '" + std::string(text) + "': " + problem);
  };
  workload w;
  const std::string_view body = trim(text);
  if (body.empty()) throw fail("empty (give steps such as io:10ms,cpu:200us,block:1ms)");
  std::size_t start = 0;
  while (true) {
    const auto comma = body.find(',', start);
    const std::string_view piece =
        trim(body.substr(start, comma == std::string_view::npos ? body.npos : comma - start));
    step_spec s;
    if (std::string problem = parse_step(piece, s); !problem.empty()) throw fail(problem);
    w.steps_.push_back(s);
    if (w.steps_.size() > max_steps) {
      throw fail("more than " + std::to_string(max_steps) + " steps in one task");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (std::size_t i = 0; i < w.steps_.size(); ++i) {
    if (i) w.text_ += ',';
    w.text_ += canonical(w.steps_[i]);
  }
  return w;
}

nanoseconds workload::mean_time(step_kind kind) const {
  double total = 0;
  for (const step_spec& s : steps_) {
    if (s.kind == kind) total += static_cast<double>(s.mean.count()) * s.percent / 100.0;
  }
  return nanoseconds(static_cast<std::int64_t>(std::llround(total)));
}

nanoseconds workload::mean_task_time() const {
  return mean_time(step_kind::io) + mean_time(step_kind::cpu) + mean_time(step_kind::block);
}

bool workload::has(step_kind kind) const {
  for (const step_spec& s : steps_) {
    if (s.kind == kind) return true;
  }
  return false;
}

std::span<const scenario> scenarios() { return builtin_scenarios; }

const scenario* find_scenario(std::string_view name) {
  for (const scenario& s : builtin_scenarios) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace ccbench
