// Running a list of configurations, each record handed to reporters
// (reporter.hpp): progress on stderr, a table on stdout, results files. Used
// by `ccbench run` and `ccbench sweep`.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/percentile_interval.hpp"
#include "harness/results.hpp"

namespace ccbench {

struct suite_options {
  std::optional<std::filesystem::path> json;  ///< --json FILE
  std::optional<std::filesystem::path> out;   ///< --out DIR
  bool quiet = false;                         ///< no progress lines
  bool in_process = false;         ///< run models in this process (debugging; no crash isolation)
  std::vector<std::string> notes;  ///< extra warnings to record (e.g. from the sweep)
};

/// What a suite runs: a fixed list, pruned and extended as results come in
/// (adaptive sweeps: stop a rate series once it saturates, bisect a crossover).
struct suite_plan {
  std::vector<run_config> runs;
  /// Asked before each run of `runs`, with every record so far: true skips it.
  std::function<bool(const run_config&, const std::vector<run_record>&)> skip;
  /// Asked once `runs` is exhausted, with every record so far: more runs to
  /// append (empty: the suite is done).
  std::function<std::vector<run_config>(const std::vector<run_record>&)> more;
};

/// Checks the outputs can be written before anything runs (throws config_error).
void check_outputs(const suite_options& opts);

/// Runs the plan in order and hands each record to the reporters the options
/// ask for (progress unless quiet, the table, --json, --out). Returns the exit
/// status: 0 when every run is ok, 1 when any failed or timed out, 130 when
/// interrupted (what finished is still written). Throws config_error when an
/// output is refused before anything runs, io_error when a results file cannot
/// be written after.
int run_suite(suite_plan plan, const suite_options& opts);

/// About how long `runs` take: warm-up and window, plus 0.15 s of set-up, each.
double planned_seconds(std::span<const run_config> runs);

/// Console formatting: 850us, 12.3ms, 1.23s.
std::string format_us(double us);
/// A percentile and its interval: "12.3ms [11.1-14.0]" (the unit written once
/// where all three share it), "unbounded" for a side too few samples bound,
/// the bare value when no interval was recorded.
std::string format_us_ci(double us, const percentile_ci& ci, bool recorded = true);
/// "~12.3ms" when the interval is wider than +-20% (is_rough), else "12.3ms".
std::string format_us_marked(double us, const percentile_ci& ci, bool recorded = true);
/// 9,950 or 12.5 for small rates.
std::string format_rate(double per_s);

}  // namespace ccbench
