#include "harness/cli/suite.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "harness/cli/registry.hpp"
#include "harness/error.hpp"
#include "harness/results_json.hpp"
#include "harness/run_directory.hpp"
#include "harness/statistics.hpp"
#include "harness/step_work.hpp"
#include "harness/summary_csv.hpp"

namespace ccbench {
namespace {

volatile sig_atomic_t stop_requested = 0;

void on_interrupt(int) {
  stop_requested = 1;
  interrupt_isolated_run();
}

std::string load_text(const run_config& c) {
  if (c.arrival == arrival_kind::closed) return "c=" + std::to_string(c.concurrency);
  return format_rate(c.rate) + "/s";
}

std::string describe(const run_config& c) {
  std::string s = c.model;
  if (c.options.offload != offload_mode::none) s += "+" + std::string(to_string(c.options.offload));
  const model_info* m = find_model(c.model);
  if (m && m->traits.uses_threads) s += " x" + std::to_string(c.options.threads);
  s += "  " + (c.scenario.empty() ? c.workload : c.scenario) + "  " + load_text(c);
  if (c.repetition > 0) s += "  rep " + std::to_string(c.repetition + 1);
  return s;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

void print_table(const std::vector<run_record>& runs) {
  struct row {
    std::string cells[11];
  };
  std::vector<row> rows;
  rows.push_back({{"model", "offload", "threads", "workload", "load", "tasks/s", "p50", "p99",
                   "max", "stall max", "status"}});
  for (const run_record& r : runs) {
    const run_config& c = r.config;
    const model_info* m = find_model(c.model);
    const bool ok = r.status == run_status::ok;
    rows.push_back({{c.model, std::string(to_string(c.options.offload)),
                     m && m->traits.uses_threads ? std::to_string(c.options.threads) : "-",
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
    std::cout << line << '\n';
  }
}

// Repetitions: median and 95% interval of throughput and p99, and the CV.
void print_summaries(const std::vector<config_summary>& summaries) {
  std::cout << "\nrepetitions (median [95% interval], coefficient of variation):\n";
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
    std::cout << pad(r[0], width[0]) << "  " << pad(r[1], width[1], true) << "  "
              << pad(r[2], width[2]) << "  " << r[3] << '\n';
  }
}

}  // namespace

std::string format_us(double us) {
  char buf[32];
  if (!std::isfinite(us)) return "-";
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%.0fus", us);
  } else if (us < 10'000) {
    std::snprintf(buf, sizeof buf, "%.2fms", us / 1e3);
  } else if (us < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.1fms", us / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fs", us / 1e6);
  }
  return buf;
}

std::string format_rate(double per_s) {
  if (!std::isfinite(per_s)) return "-";
  if (per_s < 100) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", per_s);
    return buf;
  }
  std::string digits = std::to_string(static_cast<long long>(std::llround(per_s)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

void check_outputs(const suite_options& opts) {
  if (opts.out) check_new_run_directory(*opts.out, "--out");
  if (opts.json) {
    const std::filesystem::path parent =
        opts.json->has_parent_path() ? opts.json->parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(parent)) {
      throw config_error("--json '" + opts.json->string() + "': directory '" + parent.string() +
                         "' does not exist");
    }
    if (access(parent.c_str(), W_OK) != 0) {
      throw config_error("--json '" + opts.json->string() + "': directory '" + parent.string() +
                         "' is not writable");
    }
    if (std::filesystem::is_directory(*opts.json)) {
      throw config_error("--json '" + opts.json->string() + "': is a directory (give a file name)");
    }
  }
}

int run_suite(suite_plan plan, const suite_options& opts) {
  std::vector<run_config>& configs = plan.runs;
  check_outputs(opts);
  results res;
  res.run_id = opts.out ? opts.out->filename().string() : make_run_id();
  res.context = collect_host_context();
  if (!opts.quiet) std::cerr << "ccbench: calibrating cpu steps...\n";
  res.context.cpu_rounds_per_ns = calibrate_cpu_burn(std::chrono::milliseconds(200));
  res.context.wakeup_cpu_us = measure_wakeup_cpu_us();
  res.warnings = host_warnings(res.context);
  for (const std::string& n : opts.notes) res.warnings.push_back(n);
  if (!opts.quiet) {
    for (const std::string& w : res.warnings) std::cerr << "ccbench: warning: " << w << '\n';
  }

  // Results are rewritten after every run, so an interrupted or killed suite
  // keeps what it measured.
  if (opts.out) create_run_directory(*opts.out);
  std::vector<std::string> rendered;  // each run's JSON, rendered once
  auto save = [&] {
    const std::string text = to_json_text(res, rendered);
    if (opts.json) write_file_atomic(*opts.json, text);
    if (opts.out) {
      write_file_atomic(*opts.out / "results.json", text);
      write_file_atomic(*opts.out / "summary.csv", to_summary_csv(res));
    }
  };

  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  auto planned = [&](std::size_t from) {
    double s = 0;
    for (std::size_t k = from; k < configs.size(); ++k) {
      s += to_s(configs[k].warmup + configs[k].duration) + 0.15;
    }
    return s;
  };
  if (!opts.quiet && configs.size() > 1) {
    const double total = planned(0);
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "ccbench: %zu runs planned%s, about %.0f %s (Ctrl-C keeps what is done)\n",
                  configs.size(), plan.more ? " (more may follow)" : "",
                  total >= 120 ? total / 60 : total, total >= 120 ? "min" : "s");
    std::cerr << buf;
  }
  bool any_failed = false;
  std::size_t done = 0;
  for (std::size_t i = 0; !stop_requested; ++i) {
    if (i == configs.size() && plan.more) {
      for (run_config& c : plan.more(res.runs)) configs.push_back(std::move(c));
    }
    if (i >= configs.size()) break;
    const run_config c = configs[i];
    if (plan.skip && plan.skip(c, res.runs)) continue;
    ++done;
    if (!opts.quiet) {
      const std::size_t n = done + (configs.size() - i - 1);
      const int digits = static_cast<int>(std::to_string(n).size());
      char head[64];
      std::snprintf(head, sizeof head, "[%*zu/%zu%s] ", digits, done, n, plan.more ? "+" : "");
      std::cerr << head << describe(c) << std::flush;
    }
    const model_info* m = find_model(c.model);
    run_record r = opts.in_process ? run_in_process(c, m->make, res.context.cpu_rounds_per_ns)
                                   : run_isolated(c, m->make, res.context.cpu_rounds_per_ns);
    if (stop_requested) {
      if (!opts.quiet) std::cerr << "  interrupted\n";
      break;
    }
    any_failed |= r.status != run_status::ok;
    if (!opts.quiet) {
      std::cerr << "  " << format_rate(r.throughput_per_s) << " tasks/s  p99 "
                << format_us(r.latency.p99) << "  stall max " << format_us(r.stall.max);
      if (r.status != run_status::ok) std::cerr << "  " << to_string(r.status) << ": " << r.error;
      if (const double left = planned(i + 1); left >= 5) {
        std::cerr << "  (~" << static_cast<int>(std::ceil(left)) << " s left"
                  << (plan.more ? " and more" : "") << ")";
      }
      std::cerr << '\n';
    }
    res.runs.push_back(std::move(r));
    save();
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (stop_requested) {
    const std::size_t n = res.runs.size();
    res.warnings.push_back("interrupted after " + std::to_string(n) + (n == 1 ? " run" : " runs") +
                           "; the rest of the plan did not run");
  }
  res.context.load_avg_end = load_average_1m();
  res.summaries = summarize_repetitions(res.runs);
  for (std::string& w : measurement_warnings(res.runs, res.summaries)) {
    if (!opts.quiet) std::cerr << "ccbench: warning: " << w << '\n';
    res.warnings.push_back(std::move(w));
  }

  if (!res.runs.empty()) print_table(res.runs);
  if (!res.summaries.empty()) print_summaries(res.summaries);
  save();
  if (opts.json && !opts.quiet) std::cerr << "ccbench: wrote " << opts.json->string() << '\n';
  if (opts.out) {
    point_latest_at(*opts.out);
    if (!opts.quiet) {
      std::cerr << "ccbench: wrote " << (*opts.out / "results.json").string() << " and "
                << (*opts.out / "summary.csv").string() << '\n';
    }
  }
  if (stop_requested) return 130;
  if (any_failed) {
    if (!opts.quiet) std::cerr << "ccbench: some runs failed (status error or timeout above)\n";
    return 1;
  }
  return 0;
}

}  // namespace ccbench
