// What a suite's records become: the suite runs, each reporter formats (the
// shape of google/benchmark's runner -> Run -> BenchmarkReporter). Console
// reporters are in console_reporters.hpp, file reporters in file_reporters.hpp.
#pragma once

#include <cstddef>
#include <string>

#include "harness/cli/suite.hpp"
#include "harness/results.hpp"

namespace ccbench {

/// Where a run stands in its suite.
struct run_position {
  std::size_t done = 0;   ///< runs started so far, this one included
  std::size_t total = 0;  ///< runs known now: done + those still planned
  bool more = false;      ///< the plan may add runs once these are done
  double left_s = 0;      ///< about how long the runs still planned after this one take
};

/// Receives a suite's events, in this order: on_calibrating, on_warning for the
/// machine's warnings, on_start, then on_run_started and on_run (or
/// on_interrupted) for each run, on_warning for the measurements' warnings,
/// on_end. Called on the suite's thread, between runs, never while one is
/// measured. May throw: config_error before the first run, io_error after.
class reporter {
 public:
  virtual ~reporter() = default;

  /// The machine is about to be measured (the cpu step calibration takes a moment).
  virtual void on_calibrating() {}
  /// Advice about the machine or the measurements, also kept in results::warnings.
  virtual void on_warning(const std::string& /*text*/) {}
  /// The context is measured and nothing has run yet. `plan.runs` may grow later.
  virtual void on_start(const suite_plan& /*plan*/, const results& /*so_far*/) {}
  /// A run of `config` starts; `traits` are its model's.
  virtual void on_run_started(const run_config& /*config*/, const model_traits& /*traits*/,
                              const run_position& /*at*/) {}
  /// A run is done: `record` is `so_far.runs.back()`, its traits set.
  virtual void on_run(const run_record& /*record*/, const run_position& /*at*/,
                      const results& /*so_far*/) {}
  /// Ctrl-C or SIGTERM stopped the run that had started; it has no record.
  virtual void on_interrupted() {}
  /// The suite is over: every record, the summaries and all warnings.
  virtual void on_end(const results& /*final_results*/) {}
};

}  // namespace ccbench
