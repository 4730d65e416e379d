// summary.csv: one row per run, nested fields flattened (latency_us.p99 -> latency_p99_us).
#pragma once

#include <string>

#include "harness/results.hpp"

namespace ccbench {

/// The header line and one row per run of `r`.
std::string to_summary_csv(const results& r);
/// The columns: run_fields() that have one, in their order (no newline).
std::string summary_csv_header();
/// One run's row, quoted where needed; null is an empty cell (no newline).
std::string summary_csv_row(const run_record& r);

}  // namespace ccbench
