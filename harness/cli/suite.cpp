#include "harness/cli/suite.hpp"

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <span>

#include "harness/cli/console_reporters.hpp"
#include "harness/cli/file_reporters.hpp"
#include "harness/cli/net_runs.hpp"
#include "harness/cli/registry.hpp"
#include "harness/cli/scaling_report.hpp"
#include "harness/error.hpp"
#include "harness/run_directory.hpp"
#include "harness/slo.hpp"
#include "harness/statistics.hpp"
#include "harness/step_work.hpp"

namespace ccbench {
namespace {

volatile sig_atomic_t stop_requested = 0;

void on_interrupt(int) {
  stop_requested = 1;
  interrupt_isolated_run();
}

// While it lives, SIGINT and SIGTERM end the suite: the run in progress is
// abandoned, and no other starts. The handlers before come back after. (Once
// interrupted, a process stays so: the runner's own flag is never reset.)
class interrupt_handlers {
 public:
  interrupt_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~interrupt_handlers() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  interrupt_handlers(const interrupt_handlers&) = delete;
  interrupt_handlers& operator=(const interrupt_handlers&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

// Sends each event to every reporter, in the order they were added.
class reporter_list final : public reporter {
 public:
  void add(std::unique_ptr<reporter> r) { list_.push_back(std::move(r)); }

  void on_calibrating() override {
    for (auto& r : list_) r->on_calibrating();
  }
  void on_warning(const std::string& text) override {
    for (auto& r : list_) r->on_warning(text);
  }
  void on_start(const suite_plan& plan, const results& so_far) override {
    for (auto& r : list_) r->on_start(plan, so_far);
  }
  void on_run_started(const run_config& config, const model_traits& traits,
                      const run_position& at) override {
    for (auto& r : list_) r->on_run_started(config, traits, at);
  }
  void on_run(const run_record& record, const run_position& at, const results& so_far) override {
    for (auto& r : list_) r->on_run(record, at, so_far);
  }
  void on_interrupted() override {
    for (auto& r : list_) r->on_interrupted();
  }
  void on_end(const results& final_results) override {
    for (auto& r : list_) r->on_end(final_results);
  }

 private:
  std::vector<std::unique_ptr<reporter>> list_;
};

// Progress first, so that a run's line comes before its files are written;
// the files last, so that "wrote" comes after the table.
reporter_list make_reporters(const suite_options& opts) {
  std::ostream* log = opts.quiet ? nullptr : &std::cerr;
  reporter_list list;
  if (!opts.quiet) list.add(std::make_unique<progress_reporter>(std::cerr));
  list.add(std::make_unique<console_table_reporter>(std::cout));
  list.add(std::make_unique<scaling_reporter>(std::cout));
  if (opts.json) list.add(std::make_unique<json_file_reporter>(*opts.json, log));
  if (opts.out) list.add(std::make_unique<run_directory_reporter>(*opts.out, log));
  return list;
}

// The machine: host context, the cpu steps' calibration, what a wake-up
// costs, and warnings about it (with the sweep's notes).
results prepare_results(const suite_options& opts, reporter& report) {
  results res;
  res.run_id = opts.out ? opts.out->filename().string() : make_run_id();
  res.context = collect_host_context();
  report.on_calibrating();
  res.context.cpu_rounds_per_ns = calibrate_cpu_burn(std::chrono::milliseconds(200));
  res.context.wakeup_cpu_us = measure_wakeup_cpu_us();
  res.warnings = host_warnings(res.context);
  for (const std::string& n : opts.notes) res.warnings.push_back(n);
  for (const std::string& w : res.warnings) report.on_warning(w);
  return res;
}

struct plan_outcome {
  bool interrupted = false;
  bool any_failed = false;              ///< some run ended with status error or timeout
  std::vector<std::string> slo_broken;  ///< each run that broke its --slo, and how
};

// Runs the plan in order, each run in a child process unless --in-process,
// letting the plan skip runs or add more as the records come in.
plan_outcome run_plan(suite_plan& plan, const suite_options& opts, results& res, reporter& report) {
  std::vector<run_config>& configs = plan.runs;
  plan_outcome outcome;
  std::size_t done = 0;
  for (std::size_t i = 0; !stop_requested; ++i) {
    if (i == configs.size() && plan.more) {
      for (run_config& c : plan.more(res.runs)) configs.push_back(std::move(c));
    }
    if (i >= configs.size()) break;
    const run_config c = configs[i];
    if (plan.skip && plan.skip(c, res.runs)) continue;
    const model_info* m = find_model(c.model);
    run_position at;
    at.done = ++done;
    at.total = done + (configs.size() - i - 1);
    at.more = static_cast<bool>(plan.more);
    at.left_s = planned_seconds(std::span(configs).subspan(i + 1));
    report.on_run_started(c, m->traits, at);
    std::vector<std::string> net_warnings;
    run_record r = run_with_server(
        c,
        [&](const run_config& rc) {
          return opts.in_process ? run_in_process(rc, m->make, res.context.cpu_rounds_per_ns)
                                 : run_isolated(rc, m->make, res.context.cpu_rounds_per_ns);
        },
        net_warnings);
    if (stop_requested) {
      report.on_interrupted();
      break;
    }
    r.traits = m->traits;
    apply_slo(r);
    for (std::string& w : net_warnings) {
      report.on_warning(w);
      res.warnings.push_back(std::move(w));
    }
    outcome.any_failed |= r.status != run_status::ok;
    if (r.slo_met == 0) outcome.slo_broken.push_back(short_name(r.config) + ": " + r.slo_worst);
    res.runs.push_back(std::move(r));
    report.on_run(res.runs.back(), at, res);
  }
  outcome.interrupted = stop_requested != 0;
  return outcome;
}

// What the runs say together: the repetitions' summaries and warnings about
// the measurements.
void finish_results(const plan_outcome& outcome, results& res, reporter& report) {
  if (outcome.interrupted) {
    const std::size_t n = res.runs.size();
    res.warnings.push_back("interrupted after " + std::to_string(n) + (n == 1 ? " run" : " runs") +
                           "; the rest of the plan did not run");
  }
  res.context.load_avg_end = load_average_1m();
  res.summaries = summarize_repetitions(res.runs);
  for (std::string& w : measurement_warnings(res.runs, res.summaries)) {
    report.on_warning(w);
    res.warnings.push_back(std::move(w));
  }
}

int exit_status(const plan_outcome& outcome, const suite_options& opts) {
  if (outcome.interrupted) return 130;
  if (outcome.any_failed && !opts.quiet) {
    std::cerr << "ccbench: some runs failed (status error or timeout above)\n";
  }
  // Said even with --quiet: it is why the exit status is 1.
  if (!outcome.slo_broken.empty()) {
    const std::size_t n = outcome.slo_broken.size();
    std::cerr << "ccbench: " << n << (n == 1 ? " run breaks" : " runs break") << " the --slo:\n";
    for (const std::string& s : outcome.slo_broken) std::cerr << "  " << s << '\n';
  }
  return outcome.any_failed || !outcome.slo_broken.empty() ? 1 : 0;
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

std::string format_us_ci(double us, const percentile_ci& ci, bool recorded) {
  const std::string value = format_us(us);
  if (!recorded) return value;
  auto unit = [](const std::string& s) {
    std::size_t i = s.size();
    while (i > 0 && std::isalpha(static_cast<unsigned char>(s[i - 1]))) --i;
    return s.substr(i);
  };
  std::string low = ci.low < 0 ? "unbounded" : format_us(ci.low);
  std::string high = ci.high < 0 ? "unbounded" : format_us(ci.high);
  const std::string u = unit(value);
  auto strip = [&](std::string& s) {
    if (unit(s) == u) s.resize(s.size() - u.size());
  };
  if ((ci.low < 0 || unit(low) == u) && (ci.high < 0 || unit(high) == u)) {
    if (ci.low >= 0) strip(low);
    if (ci.high >= 0) strip(high);
  }
  return value + " [" + low + "-" + high + "]";
}

std::string format_us_marked(double us, const percentile_ci& ci, bool recorded) {
  return (is_rough(ci, us, recorded) ? "~" : "") + format_us(us);
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

double planned_seconds(std::span<const run_config> runs) {
  double s = 0;
  for (const run_config& c : runs) s += to_s(c.warmup + c.duration) + 0.15;
  return s;
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
  check_outputs(opts);
  check_net_limits(plan.runs);
  reporter_list report = make_reporters(opts);
  results res = prepare_results(opts, report);
  report.on_start(plan, res);
  plan_outcome outcome;
  {
    const interrupt_handlers handlers;
    outcome = run_plan(plan, opts, res, report);
  }
  finish_results(outcome, res, report);
  report.on_end(res);
  return exit_status(outcome, opts);
}

}  // namespace ccbench
