// Repetitions: per-configuration medians, confidence intervals and variation,
// and the warnings that tell a user when a number cannot be trusted.
#pragma once

#include <string>
#include <vector>

#include "harness/run_record.hpp"

namespace ccbench {

/// Spread of one measure over the repetitions of a configuration.
struct spread {
  double median = 0;
  double ci95_low = 0, ci95_high = 0;  ///< Student-t interval around the mean
  double cv = 0;                       ///< standard deviation / mean
  std::vector<double> samples;
};

spread spread_of(std::vector<double> samples);

/// All repetitions of one configuration (runs equal in everything but repetition).
struct config_summary {
  run_config key;  ///< the first repetition's configuration
  int n = 0;
  spread throughput;
  spread p99_us;
};

/// One summary per configuration that ran more than once, in first-run order.
/// Only runs with status ok count.
std::vector<config_summary> summarize_repetitions(const std::vector<run_record>& runs);

/// Warnings with advice: noisy repetitions (CV over 5%), percentiles reported
/// from too few samples (under 10 / (1 - p)), an open-loop generator that fell
/// behind its schedule.
std::vector<std::string> measurement_warnings(const std::vector<run_record>& runs,
                                              const std::vector<config_summary>& summaries);

/// "loop+thread io c=64" — how warnings and progress lines name a configuration.
std::string short_name(const run_config& c);

}  // namespace ccbench
