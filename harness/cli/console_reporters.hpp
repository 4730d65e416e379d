// Reporters for people: progress lines on stderr, the table on stdout.
#pragma once

#include <ostream>

#include "harness/cli/reporter.hpp"

namespace ccbench {

/// One line per run as it goes ("[3/8] loop  io  c=64  9,950 tasks/s  p99 ..."),
/// the plan's size and length first, and every warning.
class progress_reporter final : public reporter {
 public:
  explicit progress_reporter(std::ostream& out) : out_(out) {}
  void on_calibrating() override;
  void on_warning(const std::string& text) override;
  void on_start(const suite_plan& plan, const results& so_far) override;
  void on_run_started(const run_config& config, const model_traits& traits,
                      const run_position& at) override;
  void on_run(const run_record& record, const run_position& at, const results& so_far) override;
  void on_interrupted() override;

 private:
  std::ostream& out_;
};

/// At the end, a table of every run and, when some configuration was repeated,
/// the repetitions' medians and intervals.
class console_table_reporter final : public reporter {
 public:
  explicit console_table_reporter(std::ostream& out) : out_(out) {}
  void on_end(const results& final_results) override;

 private:
  std::ostream& out_;
};

}  // namespace ccbench
