#include "harness/workload.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "harness/error.hpp"
#include "harness/net_protocol.hpp"

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

// Parses a reply size `N[B|KiB|MiB]` into `out`; returns the problem, or "".
std::string size_problem(std::string_view text, std::uint32_t& out) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1024;
  } else if (unit == "MiB") {
    scale = 1024 * 1024;
  }
  if (ec != std::errc() || scale == 0) {
    return "reply size '" + std::string(text) + "' must be a whole number of B, KiB or MiB";
  }
  if (n * scale > net::max_reply_bytes || n > net::max_reply_bytes) {
    return "reply size '" + std::string(text) + "' is past the server's bound of 16MiB";
  }
  out = static_cast<std::uint32_t>(n * scale);
  return {};
}

std::string format_size(std::uint32_t bytes) {
  if (bytes != 0 && bytes % (1024 * 1024) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes) + "B";
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
  } else if (kind == "net") {
    out.kind = step_kind::net;
    out.bytes = net::default_reply_bytes;
  } else {
    return "unknown step kind '" + std::string(kind) + "' (use io, cpu, block or net)";
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
  if (const auto size_at = rest.find(':'); size_at != std::string_view::npos) {
    const std::string_view size = trim(rest.substr(size_at + 1));
    rest = trim(rest.substr(0, size_at));
    if (out.kind != step_kind::net) {
      return "only a net step takes a reply size ('" + std::string(size) + "')";
    }
    if (std::string problem = size_problem(size, out.bytes); !problem.empty()) return problem;
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
  if (s.kind == step_kind::net && s.bytes != net::default_reply_bytes) {
    out += ":" + format_size(s.bytes);
  }
  if (s.percent < 100.0) out += "@" + format_percent(s.percent) + "%";
  return out;
}

// Parses comma-separated steps onto `out`; returns the problem, or "".
std::string parse_steps(std::string_view body, std::vector<step_spec>& out) {
  const std::size_t before = out.size();
  std::size_t start = 0;
  while (true) {
    const auto comma = body.find(',', start);
    const std::string_view piece =
        trim(body.substr(start, comma == std::string_view::npos ? body.npos : comma - start));
    step_spec s;
    if (std::string problem = parse_step(piece, s); !problem.empty()) return problem;
    out.push_back(s);
    if (out.size() - before > max_steps) {
      return "more than " + std::to_string(max_steps) + " steps in one task";
    }
    if (comma == std::string_view::npos) return {};
    start = comma + 1;
  }
}

std::string canonical_steps(const std::vector<step_spec>& steps, std::size_t first,
                            std::size_t end) {
  std::string out;
  for (std::size_t i = first; i < end; ++i) {
    if (i > first) out += ',';
    out += canonical(steps[i]);
  }
  return out;
}

constexpr std::array<scenario, 11> builtin_scenarios{{
    {"io", "io:10ms", "waiting on the network: one 10 ms non-blocking wait, no CPU"},
    {"cpu", "cpu:1ms", "pure computation: a 1 ms CPU burst"},
    {"block", "block:5ms", "a synchronous driver you can't change: a 5 ms blocking call"},
    {"mixed", "io:~5ms,cpu:~200us,block:~1ms",
     "a web request: await a backend, compute, then a short synchronous call"},
    {"io-cpu", "io:10ms,cpu:1ms", "waiting with real work after it: 10 ms wait, 1 ms compute"},
    {"rare-block", "io:1ms,block:100ms@0.5%",
     "fast waits with a rare slow synchronous path (0.5% of tasks block 100 ms)"},
    {"cpu-heavy", "io:1ms,cpu:5ms", "mostly computation: 1 ms wait, 5 ms CPU burst"},
    {"api-report", "api[95]=io:2ms;report[5]=block:20ms",
     "two request classes on one loop: a 2 ms API call (95%) and a report that blocks 20 ms "
     "(5%); offload the report and watch the API's p99"},
    {"net", "net:10ms", "real I/O: one TCP round trip to the delay server, replied after 10 ms"},
    {"net-cpu", "net:10ms,cpu:1ms",
     "a real round trip with real work after it (the twin of io-cpu)"},
    {"web", "net:~2ms,cpu:~200us,net:~5ms:4KiB",
     "a web request over real sockets: a backend call, compute, a second call with a 4 KiB reply"},
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
    case step_kind::net:
      return "net";
  }
  return "?";
}

workload workload::parse(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return parse_mix(text);
  auto fail = [&](const std::string& problem) {
    return config_error("bad workload '" + std::string(text) + "': " + problem);
  };
  workload w;
  const std::string_view body = trim(text);
  if (body.empty()) throw fail("empty (give steps such as io:10ms,cpu:200us,block:1ms)");
  if (std::string problem = parse_steps(body, w.steps_); !problem.empty()) throw fail(problem);
  w.text_ = canonical_steps(w.steps_, 0, w.steps_.size());
  return w;
}

workload workload::parse_mix(std::string_view text) {
  auto fail = [&](const std::string& problem) {
    return config_error("bad mix '" + std::string(text) + "': " + problem);
  };
  workload w;
  const std::string_view body = trim(text);
  if (body.empty()) throw fail("empty (give classes such as api[90]=io:5ms;report[10]=cpu:20ms)");
  std::size_t start = 0;
  for (std::size_t n = 1;; ++n) {
    const auto semi = body.find(';', start);
    const std::string_view piece =
        trim(body.substr(start, semi == std::string_view::npos ? body.npos : semi - start));
    const std::string ordinal = "class " + std::to_string(n);
    if (piece.empty()) throw fail(ordinal + " is empty (two ';' in a row?)");
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos) {
      throw fail(ordinal + " '" + std::string(piece) +
                 "' has no '=' (write NAME[WEIGHT]=STEPS, e.g. api[90]=io:5ms)");
    }
    std::string_view head = trim(piece.substr(0, eq));
    request_class c;
    if (const auto open = head.find('['); open != std::string_view::npos) {
      if (head.back() != ']') {
        throw fail(ordinal + " '" + std::string(head) + "': the weight must end in ']'");
      }
      const std::string_view weight = trim(head.substr(open + 1, head.size() - open - 2));
      head = trim(head.substr(0, open));
      const std::string who = head.empty() ? ordinal : "class '" + std::string(head) + "'";
      const auto [end, ec] =
          std::from_chars(weight.data(), weight.data() + weight.size(), c.weight);
      if (weight.empty() || ec != std::errc() || end != weight.data() + weight.size() ||
          !(c.weight > 0) || !std::isfinite(c.weight)) {
        throw fail(who + ": weight '" + std::string(weight) + "' is not a positive number");
      }
    }
    if (head.empty()) throw fail(ordinal + " has an empty name (write NAME[WEIGHT]=STEPS)");
    for (const char ch : head) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') {
        throw fail("class name '" + std::string(head) +
                   "' may hold only letters, digits, '_', '-' and '.'");
      }
    }
    c.name = std::string(head);
    for (const request_class& other : w.classes_) {
      if (other.name == c.name) throw fail("duplicate class name '" + c.name + "'");
    }
    const std::string_view steps = trim(piece.substr(eq + 1));
    if (steps.empty()) throw fail("class '" + c.name + "' is empty (give it steps, e.g. io:5ms)");
    c.first = w.steps_.size();
    if (std::string problem = parse_steps(steps, w.steps_); !problem.empty()) {
      throw fail("class '" + c.name + "': " + problem);
    }
    c.count = w.steps_.size() - c.first;
    if (w.steps_.size() > max_steps) {
      throw fail("more than " + std::to_string(max_steps) + " steps in all classes together");
    }
    w.classes_.push_back(std::move(c));
    if (semi == std::string_view::npos) break;
    start = semi + 1;
    if (trim(body.substr(start)).empty()) break;  // a trailing ';'
  }
  for (const request_class& c : w.classes_) {
    if (!w.text_.empty()) w.text_ += ';';
    w.text_ += c.name + "[" + format_percent(c.weight) +
               "]=" + canonical_steps(w.steps_, c.first, c.first + c.count);
  }
  return w;
}

double workload::share(std::size_t c) const {
  if (classes_.empty()) return 1.0;
  double total = 0;
  for (const request_class& k : classes_) total += k.weight;
  return classes_[c].weight / total;
}

std::size_t workload::class_of_step(std::size_t index) const {
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    if (index < classes_[c].first + classes_[c].count) return c;
  }
  return 0;
}

nanoseconds workload::class_task_time(std::size_t c) const {
  const std::size_t first = classes_.empty() ? 0 : classes_[c].first;
  const std::size_t end = classes_.empty() ? steps_.size() : first + classes_[c].count;
  double total = 0;
  for (std::size_t i = first; i < end; ++i) {
    total += static_cast<double>(steps_[i].mean.count()) * steps_[i].percent / 100.0;
  }
  return nanoseconds(static_cast<std::int64_t>(std::llround(total)));
}

nanoseconds workload::mean_time(step_kind kind) const {
  double total = 0;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const step_spec& s = steps_[i];
    // In a mix, a class's steps run in its share of the tasks.
    const double share = classes_.empty() ? 1.0 : workload::share(class_of_step(i));
    if (s.kind == kind) total += static_cast<double>(s.mean.count()) * s.percent / 100.0 * share;
  }
  return nanoseconds(static_cast<std::int64_t>(std::llround(total)));
}

nanoseconds workload::mean_task_time() const {
  return mean_time(step_kind::io) + mean_time(step_kind::cpu) + mean_time(step_kind::block) +
         mean_time(step_kind::net);
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
