#include "harness/cli/console_reporters.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace ccbench {
namespace {

std::string load_text(const run_config& c) {
  if (c.arrival == arrival_kind::closed) return "c=" + std::to_string(c.concurrency);
  return format_rate(c.rate) + "/s";
}

// --cpus k: " on k cpus"; "" when the run was not restricted.
std::string cpus_text(const run_config& c) {
  if (c.cpus <= 0) return "";
  return " on " + std::to_string(c.cpus) + (c.cpus == 1 ? " cpu" : " cpus");
}

std::string describe(const run_config& c, const model_traits& traits) {
  std::string s = c.model;
  if (c.options.offload != offload_mode::none) s += "+" + std::string(to_string(c.options.offload));
  if (traits.uses_threads) s += " x" + std::to_string(c.options.threads);
  s += cpus_text(c);
  s += "  " + (c.scenario.empty() ? c.workload : c.scenario) + "  " + load_text(c);
  if (c.repetition > 0) s += "  rep " + std::to_string(c.repetition + 1);
  return s;
}

bool recorded(const run_record& r) { return r.latency_ci.confidence > 0; }

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

// CPU per completed task over the measured window (worker processes and a
// Python model's interpreter included); "-" when the window's CPU is unknown.
std::string cpu_per_task(const run_record& r) {
  if (r.cpu_window_user_s < 0 || r.completed == 0) return "-";
  const double us = (r.cpu_window_user_s + std::max(0.0, r.cpu_window_sys_s)) * 1e6 /
                    static_cast<double>(r.completed);
  // A task of an io-bound run costs about 100 ns: "0us" would hide the very
  // figure the column is for.
  char buf[32];
  if (us < 1) {
    std::snprintf(buf, sizeof buf, "%.0fns", us * 1e3);
    return buf;
  }
  if (us < 10) {
    std::snprintf(buf, sizeof buf, "%.1fus", us);
    return buf;
  }
  return format_us(us);
}

void print_table(std::ostream& out, const std::vector<run_record>& runs) {
  struct row {
    std::string cells[12];
  };
  std::vector<row> rows;
  rows.push_back({{"model", "offload", "threads", "workload", "load", "tasks/s", "p50", "p99",
                   "max", "stall max", "cpu/task", "status"}});
  for (const run_record& r : runs) {
    const run_config& c = r.config;
    const bool ok = r.status == run_status::ok;
    rows.push_back(
        {{c.model, std::string(to_string(c.options.offload)),
          (r.traits.uses_threads ? std::to_string(c.options.threads) : "-") + cpus_text(c),
          c.scenario.empty() ? c.workload : c.scenario + " (" + c.workload + ")", load_text(c),
          format_rate(r.throughput_per_s),
          // A run with no latency sample (failed before any task ended) has
          // no percentile to mark rough: a dash, not "~0us".
          r.latency.count == 0 ? "-"
                               : format_us_marked(r.latency.p50, r.latency_ci.p50, recorded(r)),
          r.latency.count == 0 ? "-"
                               : format_us_marked(r.latency.p99, r.latency_ci.p99, recorded(r)),
          r.latency.count == 0 ? "-" : format_us(r.latency.max), format_us(r.stall.max),
          cpu_per_task(r), ok ? "ok" : std::string(to_string(r.status))}});
  }
  std::size_t width[12] = {};
  for (const row& r : rows) {
    for (int i = 0; i < 12; ++i) width[i] = std::max(width[i], r.cells[i].size());
  }
  for (const row& r : rows) {
    std::string line;
    for (int i = 0; i < 12; ++i) {
      const bool numeric = i == 2 || (i >= 4 && i <= 10);
      line += pad(r.cells[i], width[i], numeric) + (i < 11 ? "  " : "");
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  const auto rough = std::count_if(runs.begin(), runs.end(), [](const run_record& r) {
    return is_rough(r.latency_ci.p50, r.latency.p50, recorded(r)) ||
           is_rough(r.latency_ci.p99, r.latency.p99, recorded(r));
  });
  if (rough > 0) {
    out << "~ rough: its 95% interval is wider than +-20% of it, or unbounded (too few samples;"
           " p99 needs 368 at least)\n";
  }
}

// A mix's request classes, one row per run and class: each class's own
// throughput and latency, and its part of the stall log.
void print_classes(std::ostream& out, const std::vector<run_record>& runs) {
  constexpr int n = 9;
  std::vector<std::array<std::string, n>> rows;
  rows.push_back(
      {"model", "offload", "load", "class", "share", "tasks/s", "p50", "p99", "stall log"});
  for (const run_record& r : runs) {
    for (const class_result& k : r.classes) {
      char share[32], stall[32];
      std::snprintf(share, sizeof share, "%.0f%%", 100 * k.share);
      std::snprintf(stall, sizeof stall, "%.0f%%", 100 * k.stall_log_share);
      rows.push_back(
          {r.config.model, std::string(to_string(r.config.options.offload)), load_text(r.config),
           k.name, share,
           format_rate(r.window_s > 0 ? static_cast<double>(k.completed) / r.window_s : 0.0),
           format_us(k.latency.p50), format_us(k.latency.p99), stall});
    }
  }
  if (rows.size() == 1) return;
  out << "\nper request class:\n";
  std::size_t width[n] = {};
  for (const auto& r : rows) {
    for (int i = 0; i < n; ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (int i = 0; i < n; ++i) line += pad(r[i], width[i], i >= 4) + (i < n - 1 ? "  " : "");
    out << line << '\n';
  }
}

// The user's objective (--slo): each run meets it or breaks it, and how.
void print_slo(std::ostream& out, const std::vector<run_record>& runs) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::string objective;
  for (const run_record& r : runs) {
    if (r.slo_met < 0) continue;
    objective = r.config.slo;
    rows.emplace_back(short_name(r.config), r.slo_met ? "meets it" : "breaks it: " + r.slo_worst);
  }
  if (rows.empty()) return;
  out << "\nobjective --slo '" << objective << "':\n";
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [name, verdict] : rows)
    out << "  " << pad(name, width) << "  " << verdict << '\n';
}

// Repetitions: median and 95% interval of throughput and p99, and the CV.
void print_summaries(std::ostream& out, const std::vector<config_summary>& summaries) {
  out << "\nrepetitions (median [95% interval], coefficient of variation):\n";
  std::vector<std::array<std::string, 4>> rows;
  rows.push_back({"configuration", "n", "tasks/s", "p99"});
  for (const config_summary& s : summaries) {
    char cv_t[32], cv_p[32];
    std::snprintf(cv_t, sizeof cv_t, " cv %.1f%%", 100 * s.throughput.cv);
    std::snprintf(cv_p, sizeof cv_p, " cv %.1f%%", 100 * s.p99_us.cv);
    rows.push_back({short_name(s.key), std::to_string(s.n),
                    format_rate(s.throughput.median) + " [" + format_rate(s.throughput.ci95_low) +
                        " - " + format_rate(s.throughput.ci95_high) + "]" + cv_t,
                    format_us(s.p99_us.median) + " [" + format_us(s.p99_us.ci95_low) + " - " +
                        format_us(s.p99_us.ci95_high) + "]" + cv_p});
  }
  std::size_t width[4] = {};
  for (const auto& r : rows) {
    for (int i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    out << pad(r[0], width[0]) << "  " << pad(r[1], width[1], true) << "  " << pad(r[2], width[2])
        << "  " << r[3] << '\n';
  }
}

// Runs with net steps: the model's CPU per task over the window (a round trip
// each, in `net`), and what the delay server said of the run.
void print_net(std::ostream& out, const std::vector<run_record>& runs) {
  std::vector<std::array<std::string, 5>> rows;
  for (const run_record& r : runs) {
    if (r.net_server_origin.empty()) continue;
    if (rows.empty()) {
      rows.push_back({"net steps", "CPU/task", "server", "server CPU/request", "reply late p99"});
    }
    const double cpu = r.cpu_window_user_s + r.cpu_window_sys_s;
    const bool known = r.completed > 0 && r.cpu_window_user_s >= 0;
    rows.push_back(
        {short_name(r.config),
         known ? format_us(cpu / static_cast<double>(r.completed) * 1e6) : "-",
         r.net_server_origin + " " + r.config.server,
         r.net_server_cpu_per_request_us >= 0 ? format_us(r.net_server_cpu_per_request_us) : "-",
         r.net_server_lateness_p99_us >= 0 ? format_us(r.net_server_lateness_p99_us) : "-"});
  }
  if (rows.empty()) return;
  std::size_t width[5] = {};
  for (const auto& row : rows) {
    for (int i = 0; i < 5; ++i) width[i] = std::max(width[i], row[i].size());
  }
  out << '\n';
  for (const auto& row : rows) {
    out << pad(row[0], width[0]) << "  " << pad(row[1], width[1], true) << "  "
        << pad(row[2], width[2]) << "  " << pad(row[3], width[3], true) << "  "
        << pad(row[4], width[4], true) << '\n';
  }
}

}  // namespace

void progress_reporter::on_calibrating() { out_ << "ccbench: calibrating cpu steps...\n"; }

void progress_reporter::on_warning(const std::string& text) {
  out_ << "ccbench: warning: " << text << '\n';
}

void progress_reporter::on_start(const suite_plan& plan, const results&) {
  if (plan.runs.size() <= 1) return;
  const double total = planned_seconds(plan.runs);
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "ccbench: %zu runs planned%s, about %.0f %s (Ctrl-C keeps what is done)\n",
                plan.runs.size(), plan.more ? " (more may follow)" : "",
                total >= 120 ? total / 60 : total, total >= 120 ? "min" : "s");
  out_ << buf;
}

void progress_reporter::on_run_started(const run_config& config, const model_traits& traits,
                                       const run_position& at) {
  const int digits = static_cast<int>(std::to_string(at.total).size());
  char head[64];
  std::snprintf(head, sizeof head, "[%*zu/%zu%s] ", digits, at.done, at.total, at.more ? "+" : "");
  out_ << head << describe(config, traits) << std::flush;
}

void progress_reporter::on_run(const run_record& r, const run_position& at, const results&) {
  out_ << "  " << format_rate(r.throughput_per_s) << " tasks/s  p99 "
       << format_us_ci(r.latency.p99, r.latency_ci.p99, recorded(r)) << "  stall max "
       << format_us(r.stall.max);
  if (r.status != run_status::ok) out_ << "  " << to_string(r.status) << ": " << r.error;
  if (r.slo_met == 0) out_ << "  breaks --slo: " << r.slo_worst;
  if (r.slo_met == 1) out_ << "  meets --slo";
  if (at.left_s >= 5) {
    out_ << "  (~" << static_cast<int>(std::ceil(at.left_s)) << " s left"
         << (at.more ? " and more" : "") << ")";
  }
  out_ << '\n';
}

void progress_reporter::on_interrupted() { out_ << "  interrupted\n"; }

void console_table_reporter::on_end(const results& final_results) {
  if (!final_results.runs.empty()) print_table(out_, final_results.runs);
  if (!final_results.runs.empty()) print_classes(out_, final_results.runs);
  if (!final_results.runs.empty()) print_slo(out_, final_results.runs);
  print_net(out_, final_results.runs);
  if (!final_results.summaries.empty()) print_summaries(out_, final_results.summaries);
}

}  // namespace ccbench
