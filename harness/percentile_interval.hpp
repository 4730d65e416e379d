// How sure a percentile is: the distribution-free confidence interval of a
// quantile from order statistics, read from an HDR-style histogram (nothing
// beyond the histogram is stored).
//
// For the q-quantile x_q of n independent samples, the number B of samples
// at or below x_q is binomial(n, q). The interval [x_(l), x_(u)] between the
// l-th and u-th smallest samples holds x_q exactly when l <= B <= u - 1, so
// with l the largest rank with P(B <= l - 1) <= (1 - c) / 2 and u the smallest
// with P(B <= u - 1) >= 1 - (1 - c) / 2, it holds x_q with probability at
// least c, whatever the distribution. A side with no such rank (too few
// samples: p99 at 95% needs 368) is unbounded.
#pragma once

#include <cstdint>

#include "harness/histogram.hpp"
#include "harness/run_record.hpp"

namespace ccbench {

/// 1-based ranks of the order statistics bounding a quantile's interval.
/// `low` is 0 when the interval is unbounded below; `high` is n + 1 when it is
/// unbounded above.
struct rank_interval {
  std::uint64_t low = 0, high = 0;
};

/// Ranks for quantile `q` (in (0, 1)) of `n` samples at confidence
/// `confidence` (in (0, 1)). Where the binomial's spread is at most 2,000
/// (n q (1 - q) <= 4e6), exact: a side is unbounded when the equal-tailed
/// interval (each tail at most (1 - c) / 2) has no rank there; else the
/// pair fewest ranks wide that covers at least `c`, neither tail over
/// 1 - c. Beyond, the equal-tailed normal approximation with a continuity
/// correction (its error there is under 1e-3 in each tail). Pure; any thread.
rank_interval quantile_ranks(std::uint64_t n, double q, double confidence = 0.95);

/// The probability that the interval between ranks `r` holds the quantile:
/// P(r.low <= B <= r.high - 1) for B ~ binomial(n, q), an unbounded side
/// counting as always holding. For tests and reports (O(n)).
double rank_coverage(std::uint64_t n, double q, rank_interval r);

/// A percentile's interval in nanoseconds; a side is -1 when unbounded.
struct value_interval {
  std::int64_t low_ns = -1, high_ns = -1;
  bool bounded() const noexcept { return low_ns >= 0 && high_ns >= 0; }
};

/// The `confidence` interval of percentile `p` (in (0, 100)) of what `h`
/// recorded: the lower bound is the lowest value of the bucket holding the
/// rank-l sample, the upper the highest value of the one holding rank u
/// (clamped to the exact min and max), so the interval contains the one that
/// exact samples would give and is at most 1/128 wider on each side. Both
/// sides -1 when `h` is empty. Any thread that may read `h`.
value_interval percentile_interval(const histogram& h, double p, double confidence = 0.95);

/// The 95% intervals of p50, p90, p99 and p99.9 of `h`, in microseconds, as
/// results record them beside latency_summary (per class too: call it on each
/// class's merged histogram).
latency_interval latency_interval_of(const histogram& h);

/// How far `ci` reaches from `value` (its percentile), relative to it: the
/// wider side's distance over the value, so 0.2 means within +-20%. Infinity
/// when a side is unbounded; NaN when no interval was recorded (`recorded`
/// false, files from before intervals).
double relative_half_width(const percentile_ci& ci, double value, bool recorded = true);

/// Wider than +-20% (or unbounded): a number the console marks with `~`.
inline bool is_rough(const percentile_ci& ci, double value, bool recorded = true) {
  return relative_half_width(ci, value, recorded) > 0.2;  // false for NaN
}

}  // namespace ccbench
