// The scaling sweep's answer (`ccbench sweep scaling`): per model and
// workload, throughput per core at each core count, the speed-up at the most
// cores, and a Universal Scalability Law fit (harness/usl_fit.hpp).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/reporter.hpp"
#include "harness/usl_fit.hpp"

namespace ccbench {

/// One model (and offload mode) on one workload across core counts.
struct scaling_line {
  std::string model, workload;    ///< `model` as short labels have it ("pool x16" is "pool")
  std::vector<usl_point> points;  ///< k and mean throughput at k, k ascending
  double speedup = 0;             ///< X at the most cores / X at 1; 0 without k = 1
  usl_fit fit;
};

/// The lines of the runs of group `scaling` (each k: config.cpus), in the
/// order their models first appear; runs that failed are left out.
std::vector<scaling_line> scaling_lines(const std::vector<run_record>& runs);

/// Prints the lines as a table, then each fit's caveat.
void print_scaling(std::ostream& out, const std::vector<scaling_line>& lines);

/// Prints print_scaling() after the suite when it ran the scaling sweep.
class scaling_reporter final : public reporter {
 public:
  explicit scaling_reporter(std::ostream& out) : out_(out) {}
  void on_end(const results& final_results) override;

 private:
  std::ostream& out_;
};

}  // namespace ccbench
