// Run directories (results/<run-id>/ with results.json and summary.csv, and
// results/latest) and the files in them: written to a temporary name and
// renamed; a run directory is never overwritten.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/results.hpp"

namespace ccbench {

/// Writes `content` to `path` through a temporary file in the same directory and
/// a rename, so readers see the old file or the new one, never half of one.
/// Throws io_error naming `path` and the reason when it cannot. `sync`: the
/// file reaches the disk (fsync) before it replaces the old one; without it, a
/// crash of the process still leaves the new file whole (it is in the page
/// cache), and only a crash of the machine can lose it.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       bool sync = true);

/// Throws config_error when `dir` exists (run directories are never overwritten)
/// or its parent cannot be created. Call before running anything.
void check_new_run_directory(const std::filesystem::path& dir, std::string_view flag);

/// Creates the run directory `dir` (and its parents); throws config_error when
/// it exists already.
void create_run_directory(const std::filesystem::path& dir);
/// (Re)writes results.json and summary.csv in an existing run directory, each
/// atomically: a suite rewrites them after every run so an interrupted suite
/// keeps what it measured. Throws io_error.
void write_results_files(const std::filesystem::path& dir, const results& r);
/// Points `<parent of dir>/latest` at `dir`, atomically, only when `latest` is
/// absent or already a symlink (a real file or directory there is left alone).
void point_latest_at(const std::filesystem::path& dir);
/// create_run_directory + write_results_files + point_latest_at.
void write_run_directory(const std::filesystem::path& dir, const results& r);

/// A fresh run id: UTC time plus a short random suffix, e.g. 20261124-191203-4f2a.
std::string make_run_id();

}  // namespace ccbench
