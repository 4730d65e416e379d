// Results files: results.json (schema ccbench.results/1) and summary.csv.
// Written to a temporary name and renamed; a run directory is never overwritten.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/host_context.hpp"
#include "harness/run_record.hpp"
#include "harness/statistics.hpp"

namespace ccbench {

inline constexpr std::string_view results_schema = "ccbench.results/1";

struct results {
  std::string run_id;
  host_context context;
  std::vector<run_record> runs;
  std::vector<std::string> warnings;
  std::vector<config_summary> summaries;  ///< configurations that ran more than once
};

/// The whole results document, pretty-printed.
std::string to_json_text(const results& r);
/// The same text, byte for byte, for a suite that rewrites its file after
/// every run: each run's part is rendered once and kept in `rendered`, so a
/// rewrite copies the earlier runs instead of rendering them again (a quick
/// sweep's file reaches 6 MB; rendering it all took 125 ms a run). `r.runs`
/// must only have grown since the last call with the same `rendered`.
std::string to_json_text(const results& r, std::vector<std::string>& rendered);
/// Parses a results document; throws config_error naming `source` when it is not one.
results results_from_json_text(std::string_view text, std::string_view source);
/// Reads and parses a results.json file (or a run directory holding one).
results read_results(const std::filesystem::path& path);

/// One run as a single JSON line: how a forked run hands its record back.
std::string record_to_json_text(const run_record& r);
run_record record_from_json_text(std::string_view text);

/// summary.csv: one row per run, nested fields flattened (latency_us.p99 -> latency_p99_us).
std::string to_summary_csv(const results& r);

/// Writes `content` to `path` through a temporary file in the same directory and
/// a rename, so readers see the old file or the new one, never half of one.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Throws config_error when `dir` exists (run directories are never overwritten)
/// or its parent cannot be created. Call before running anything.
void check_new_run_directory(const std::filesystem::path& dir, std::string_view flag);

/// Creates the run directory `dir` (and its parents); throws config_error when
/// it exists already.
void create_run_directory(const std::filesystem::path& dir);
/// (Re)writes results.json and summary.csv in an existing run directory, each
/// atomically: a suite rewrites them after every run so an interrupted suite
/// keeps what it measured.
void write_results_files(const std::filesystem::path& dir, const results& r);
/// Points `<parent of dir>/latest` at `dir`, atomically, only when `latest` is
/// absent or already a symlink (a real file or directory there is left alone).
void point_latest_at(const std::filesystem::path& dir);
/// create_run_directory + write_results_files + point_latest_at.
void write_run_directory(const std::filesystem::path& dir, const results& r);

/// A fresh run id: UTC time plus a short random suffix, e.g. 20261124-191203-4f2a.
std::string make_run_id();

}  // namespace ccbench
