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

std::string describe(const run_config& c, const model_traits& traits) {
  std::string s = c.model;
  if (c.options.offload != offload_mode::none) s += "+" + std::string(to_string(c.options.offload));
  if (traits.uses_threads) s += " x" + std::to_string(c.options.threads);
  s += "  " + (c.scenario.empty() ? c.workload : c.scenario) + "  " + load_text(c);
  if (c.repetition > 0) s += "  rep " + std::to_string(c.repetition + 1);
  return s;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

void print_table(std::ostream& out, const std::vector<run_record>& runs) {
  struct row {
    std::string cells[11];
  };
  std::vector<row> rows;
  rows.push_back({{"model", "offload", "threads", "workload", "load", "tasks/s", "p50", "p99",
                   "max", "stall max", "status"}});
  for (const run_record& r : runs) {
    const run_config& c = r.config;
    const bool ok = r.status == run_status::ok;
    rows.push_back({{c.model, std::string(to_string(c.options.offload)),
                     r.traits.uses_threads ? std::to_string(c.options.threads) : "-",
                     c.scenario.empty() ? c.workload : c.scenario + " (" + c.workload + ")",
                     load_text(c), format_rate(r.throughput_per_s), format_us(r.latency.p50),
                     format_us(r.latency.p99), format_us(r.latency.max), format_us(r.stall.max),
                     ok ? "ok" : std::string(to_string(r.status))}});
  }
  std::size_t width[11] = {};
  for (const row& r : rows) {
    for (int i = 0; i < 11; ++i) width[i] = std::max(width[i], r.cells[i].size());
  }
  for (const row& r : rows) {
    std::string line;
    for (int i = 0; i < 11; ++i) {
      const bool numeric = i == 2 || (i >= 4 && i <= 9);
      line += pad(r.cells[i], width[i], numeric) + (i < 10 ? "  " : "");
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
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
  out_ << "  " << format_rate(r.throughput_per_s) << " tasks/s  p99 " << format_us(r.latency.p99)
       << "  stall max " << format_us(r.stall.max);
  if (r.status != run_status::ok) out_ << "  " << to_string(r.status) << ": " << r.error;
  if (at.left_s >= 5) {
    out_ << "  (~" << static_cast<int>(std::ceil(at.left_s)) << " s left"
         << (at.more ? " and more" : "") << ")";
  }
  out_ << '\n';
}

void progress_reporter::on_interrupted() { out_ << "  interrupted\n"; }

void console_table_reporter::on_end(const results& final_results) {
  if (!final_results.runs.empty()) print_table(out_, final_results.runs);
  print_net(out_, final_results.runs);
  if (!final_results.summaries.empty()) print_summaries(out_, final_results.summaries);
}

}  // namespace ccbench
