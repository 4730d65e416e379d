#include "harness/slo.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "harness/clock.hpp"
#include "harness/error.hpp"

namespace ccbench {
namespace {

constexpr std::string_view time_metrics[] = {"p50", "p90",  "p99",   "p999",
                                             "max", "mean", "stall", "stall_p99"};

bool is_time_metric(std::string_view m) {
  for (std::string_view t : time_metrics) {
    if (t == m) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Times as the console prints them: 850us, 12.3ms, 1.2s.
std::string time_text(double us) {
  char buf[32];
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%.0fus", us);
  } else if (us < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gms", us / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3gs", us / 1e6);
  }
  return buf;
}

std::string value_text(const slo_term& t, double v) {
  return t.metric == "tput" ? number_text(v) + "/s" : time_text(v);
}

std::string term_name(const slo_term& t) {
  return (t.class_name.empty() ? "" : t.class_name + ".") + t.metric;
}

double latency_metric(const latency_summary& l, std::string_view m) {
  if (m == "p50") return l.p50;
  if (m == "p90") return l.p90;
  if (m == "p99") return l.p99;
  if (m == "p999") return l.p999;
  if (m == "max") return l.max;
  return l.mean;
}

}  // namespace

slo slo::parse(std::string_view text) {
  auto fail = [&](const std::string& problem) {
    return config_error("bad --slo '" + std::string(text) + "': " + problem);
  };
  slo out;
  if (trim(text).empty()) return out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string_view piece =
        trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    if (piece.empty()) throw fail("empty term (two commas in a row?)");
    const auto op = piece.find_first_of("<>");
    if (op == std::string_view::npos) {
      throw fail("term '" + std::string(piece) + "' has no '<' or '>' (e.g. p99<20ms, tput>1000)");
    }
    slo_term t;
    t.below = piece[op] == '<';
    std::string_view name = trim(piece.substr(0, op));
    std::string_view value = piece.substr(op + 1);
    if (!value.empty() && value.front() == '=') value.remove_prefix(1);  // <= reads as <
    value = trim(value);
    if (const auto dot = name.rfind('.'); dot != std::string_view::npos) {
      t.class_name = std::string(trim(name.substr(0, dot)));
      name = trim(name.substr(dot + 1));
      if (t.class_name.empty()) throw fail("term '" + std::string(piece) + "' has an empty class");
    }
    t.metric = std::string(name);
    const std::string term = "term '" + std::string(piece) + "'";
    if (is_time_metric(t.metric)) {
      if (!t.below) {
        throw fail(term + ": " + t.metric + " takes '<' (a time to stay under)");
      }
      if (!t.class_name.empty() && t.metric.starts_with("stall")) {
        throw fail(term + ": stalls are the scheduler's, not a class's (write " + t.metric +
                   "<...)");
      }
      nanoseconds d{0};
      if (std::string problem = duration_problem(value, d); !problem.empty()) {
        throw fail(term + ": " + problem);
      }
      if (d.count() <= 0) throw fail(term + ": the limit must be more than zero");
      t.limit = to_us(d);
    } else if (t.metric == "tput") {
      if (t.below) throw fail(term + ": tput takes '>' (tasks/s to stay above)");
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t.limit);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
          !(t.limit > 0) || !std::isfinite(t.limit)) {
        throw fail(term + ": '" + std::string(value) + "' is not a positive number of tasks/s");
      }
    } else {
      throw fail("unknown metric '" + t.metric +
                 "' (use p50, p90, p99, p999, max, mean, stall, stall_p99, tput)");
    }
    out.terms_.push_back(std::move(t));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (const slo_term& t : out.terms_) {
    if (!out.text_.empty()) out.text_ += ',';
    out.text_ += term_name(t) + (t.below ? "<" : ">") +
                 (t.metric == "tput" ? number_text(t.limit)
                                     : format_duration(nanoseconds(static_cast<std::int64_t>(
                                           std::llround(t.limit * 1e3)))));
  }
  return out;
}

double slo::p99_limit_us() const {
  for (const slo_term& t : terms_) {
    if (t.class_name.empty() && t.metric == "p99") return t.limit;
  }
  return 0;
}

slo_verdict check_slo(const slo& objective, const run_record& r) {
  slo_verdict v;
  if (objective.empty()) return v;
  if (r.status != run_status::ok) {
    v.met = false;
    v.breaches = 1;
    v.worst = "status " + std::string(to_string(r.status));
    return v;
  }
  double worst_ratio = -1;
  for (const slo_term& t : objective.terms()) {
    double value = 0;
    if (t.class_name.empty()) {
      if (t.metric == "tput") {
        value = r.throughput_per_s;
      } else if (t.metric == "stall") {
        value = r.stall.max;
      } else if (t.metric == "stall_p99") {
        value = r.stall.p99;
      } else {
        value = latency_metric(r.latency, t.metric);
      }
    } else {
      const class_result* k = nullptr;
      for (const class_result& c : r.classes) {
        if (c.name == t.class_name) k = &c;
      }
      if (k == nullptr) {
        ++v.breaches;
        v.met = false;
        if (worst_ratio < std::numeric_limits<double>::infinity()) {
          worst_ratio = std::numeric_limits<double>::infinity();
          v.worst = "class '" + t.class_name + "' not in the workload";
        }
        continue;
      }
      value = t.metric == "tput"
                  ? (r.window_s > 0 ? static_cast<double>(k->completed) / r.window_s : 0.0)
                  : latency_metric(k->latency, t.metric);
    }
    const bool ok = t.below ? value < t.limit : value > t.limit;
    if (ok) continue;
    ++v.breaches;
    v.met = false;
    const double ratio =
        t.below ? value / t.limit
                : (value > 0 ? t.limit / value : std::numeric_limits<double>::infinity());
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      char times[32];
      std::snprintf(times, sizeof times, " (%.3gx)", ratio);
      v.worst = term_name(t) + " " + value_text(t, value) + (t.below ? " >= " : " <= ") +
                value_text(t, t.limit) + (std::isfinite(ratio) ? times : "");
    }
  }
  return v;
}

void apply_slo(run_record& r) {
  if (r.config.slo.empty()) return;
  const slo_verdict v = check_slo(slo::parse(r.config.slo), r);
  r.slo_met = v.met ? 1 : 0;
  r.slo_breaches = v.breaches;
  r.slo_worst = v.worst;
}

}  // namespace ccbench
