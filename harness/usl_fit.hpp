// Gunther's Universal Scalability Law, fitted to throughput measured at k
// cores: X(k) = lambda k / (1 + sigma (k - 1) + kappa k (k - 1)). sigma is
// contention (the share that serialises), kappa coherency (the cost of
// keeping k workers in agreement, which makes throughput fall past a peak).
#pragma once

#include <string>
#include <vector>

namespace ccbench {

struct usl_point {
  double k = 0;  ///< cores (CPUs the run had)
  double x = 0;  ///< throughput at k, tasks/s
};

struct usl_fit {
  double lambda = 0;  ///< throughput of one core, as the fit has it
  double sigma = 0;   ///< contention, >= 0
  double kappa = 0;   ///< coherency, >= 0
  double r2 = 0;      ///< of the fitted throughput against the points (1: exact)
  int points = 0;     ///< distinct core counts measured
  /// The k at which throughput peaks, sqrt((1 - sigma) / kappa); 0 when it
  /// never does (kappa 0, or sigma >= 1: then it only flattens).
  double peak_k = 0;
  bool trusted = false;
  std::string caveat;  ///< why the fit cannot be trusted ("" when it can)

  /// The fitted throughput at k.
  double at(double k) const noexcept;
};

/// Least squares on k / X = (1 + sigma (k - 1) + kappa k (k - 1)) / lambda,
/// which is linear in 1 / lambda, sigma / lambda and kappa / lambda, with
/// sigma and kappa kept at 0 or above (refitted without the one that came out
/// negative). With two core counts only sigma is fitted (kappa 0). Trusted
/// with at least four core counts, positive throughput, and r2 >= 0.9.
/// Points with k <= 0 or x <= 0 are left out.
usl_fit fit_usl(const std::vector<usl_point>& points);

}  // namespace ccbench
