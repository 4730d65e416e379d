// Reporters for programs: results.json and summary.csv, rewritten atomically
// after every run so that an interrupted or killed suite keeps what it
// measured, and run directories (--out).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/reporter.hpp"

namespace ccbench {

/// results.json at `path` (--json FILE). Each run is rendered once: a rewrite
/// copies the earlier ones. Throws io_error when the file cannot be written.
class json_file_reporter final : public reporter {
 public:
  /// `log`: where to say "ccbench: wrote PATH" at the end; nullptr: nowhere.
  json_file_reporter(std::filesystem::path path, std::ostream* log)
      : path_(std::move(path)), log_(log) {}
  void on_run(const run_record& record, const run_position& at, const results& so_far) override;
  void on_end(const results& final_results) override;

 private:
  void write(const results& r, bool sync);

  std::filesystem::path path_;
  std::ostream* log_;
  std::vector<std::string> rendered_;  // each run's JSON, rendered once
};

/// summary.csv at `path`. Throws io_error when the file cannot be written.
class csv_file_reporter final : public reporter {
 public:
  explicit csv_file_reporter(std::filesystem::path path) : path_(std::move(path)) {}
  void on_run(const run_record& record, const run_position& at, const results& so_far) override;
  void on_end(const results& final_results) override;

 private:
  std::filesystem::path path_;
};

/// A run directory (--out DIR): created when the suite starts (config_error
/// when it exists), results.json and summary.csv in it, and DIR/../latest
/// pointed at it at the end.
class run_directory_reporter final : public reporter {
 public:
  /// `log`: where to say "ccbench: wrote ..." at the end; nullptr: nowhere.
  run_directory_reporter(std::filesystem::path dir, std::ostream* log);
  void on_start(const suite_plan& plan, const results& so_far) override;
  void on_run(const run_record& record, const run_position& at, const results& so_far) override;
  void on_end(const results& final_results) override;

 private:
  std::filesystem::path dir_;
  std::ostream* log_;
  json_file_reporter json_;
  csv_file_reporter csv_;
};

}  // namespace ccbench
