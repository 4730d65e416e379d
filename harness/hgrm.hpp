// The latency histogram as HdrHistogram's percentile-distribution text (.hgrm),
// as its outputPercentileDistribution() writes it: what HdrHistogram's
// plotter and wrk2's users read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/histogram.hpp"
#include "harness/run_record.hpp"

namespace ccbench {

/// `h` as .hgrm text: a header (Value, Percentile, TotalCount,
/// 1/(1-Percentile)), one line per percentile tick (5 ticks per half distance
/// to 100%, as HdrHistogram's default), a last line at 100%, and the footer
/// (Mean, StdDeviation, Max, Total count, Buckets, SubBuckets). Values are in
/// microseconds (HdrHistogram's output scaling ratio 1000 over nanoseconds),
/// with two decimals: the layout is HdrHistogram's at two significant digits.
/// `mean_ns`, when given, replaces the mean computed from the buckets (a
/// histogram read back from a results file has lost the exact sum).
std::string to_hgrm(const histogram& h, std::optional<double> mean_ns = std::nullopt);

/// The run's latency histogram, rebuilt from its buckets
/// (run_record::latency_bucket_ns and latency_bucket_count).
histogram latency_histogram_of(const run_record& r);

/// The run's latency histogram as .hgrm text, with its exact mean and max.
std::string latency_hgrm(const run_record& r);
/// A request class's latency histogram (class_result) as .hgrm text.
std::string latency_hgrm(const class_result& c);

/// A file name for run `index` (0-based) of a results document:
/// "003-loop-thread-c64.hgrm" (letters, digits, '-', '.' and '_' only); with
/// `class_name`, that class's: "003-loop-thread-c64-api.hgrm".
std::string hgrm_file_name(std::size_t index, const run_record& r,
                           const std::string& class_name = "");

}  // namespace ccbench
