// results.json: a results document as JSON, and one run as a JSON line.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/results.hpp"

namespace ccbench {

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

}  // namespace ccbench
