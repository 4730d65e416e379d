// The user's service-level objective (`--slo 'p99<20ms,stall<5ms,tput>1000'`,
// per class too: `api.p99<10ms`): parsed once, checked against each run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/run_record.hpp"

namespace ccbench {

/// One term of an objective: `[CLASS.]METRIC<LIMIT` or `[CLASS.]METRIC>LIMIT`.
struct slo_term {
  std::string class_name;  ///< "" for the whole run
  std::string metric;      ///< p50 p90 p99 p999 max mean (latency), stall, stall_p99, tput
  bool below = true;       ///< '<': the value must stay under the limit; '>': above it
  double limit = 0;        ///< microseconds for times, tasks/s for tput
};

/// A parsed objective; empty when none was given.
class slo {
 public:
  /// Parses `text`; throws config_error "bad --slo '<text>': <problem>" naming
  /// the term. "" gives an empty objective.
  static slo parse(std::string_view text);

  bool empty() const { return terms_.empty(); }
  /// Canonical text (what run_config::slo and results files record).
  const std::string& text() const { return text_; }
  const std::vector<slo_term>& terms() const { return terms_; }
  /// The run-wide p99 limit in microseconds, or 0 when the objective sets none.
  double p99_limit_us() const;

 private:
  std::string text_;
  std::vector<slo_term> terms_;
};

/// How a run fares against its objective.
struct slo_verdict {
  bool met = true;
  std::size_t breaches = 0;
  /// The worst breach (largest ratio of value to limit), e.g.
  /// "p99 10.4ms > 1ms (10.4x)"; "" when met.
  std::string worst;
};

/// Checks `r` against `objective`. A run that did not finish ok breaks any
/// objective ("status error"); a term on a class the run lacks is a breach
/// ("class 'api' not in the workload").
slo_verdict check_slo(const slo& objective, const run_record& r);

/// Sets r.slo_met, r.slo_breaches and r.slo_worst from r.config.slo (nothing
/// when it is empty).
void apply_slo(run_record& r);

}  // namespace ccbench
