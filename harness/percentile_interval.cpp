#include "harness/percentile_interval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ccbench {
namespace {

// The z with P(Z > z) = tail for a standard normal Z, by bisection on erfc
// (60 halvings: far below double precision of any use here).
double normal_upper_quantile(double tail) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

double log_binomial_pmf(std::uint64_t n, std::uint64_t k, double log_q, double log_1q) {
  const auto nd = static_cast<double>(n), kd = static_cast<double>(k);
  return std::lgamma(nd + 1) - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) + kd * log_q +
         (nd - kd) * log_1q;
}

// Past this spread the normal approximation replaces the exact sum (whose
// cost grows with it): the binomial's skewness is then (1 - 2q) / sigma, under
// 5e-4, and its tails match the normal's far closer than a rank.
constexpr double exact_sigma_limit = 2000;

}  // namespace

rank_interval quantile_ranks(std::uint64_t n, double q, double confidence) {
  if (n == 0 || !(q > 0 && q < 1)) return {0, n + 1};
  const double tail = (1 - std::clamp(confidence, 0.0, 1.0)) / 2;
  const double nd = static_cast<double>(n);
  const double mean = nd * q;
  const double sigma = std::sqrt(nd * q * (1 - q));
  rank_interval r{0, n + 1};
  if (sigma > exact_sigma_limit) {
    // P(B <= k) ~ Phi((k + 0.5 - mean) / sigma): l - 1 is the largest k with
    // that <= tail, u - 1 the smallest with it >= 1 - tail.
    const double z = normal_upper_quantile(tail);
    const double low = std::floor(mean + 0.5 - z * sigma);
    const double high = std::ceil(mean - 0.5 + z * sigma) + 1;
    r.low = low < 0 ? 0 : static_cast<std::uint64_t>(low);
    r.high = high > nd ? n + 1 : static_cast<std::uint64_t>(high);
    return r;
  }
  // The exact binomial CDF over [k0, k1], from far enough below and above the
  // mean (15 sigma and then some) that what lies outside is nothing a double
  // can hold: P(B <= k) = cdf[k - k0 + 1], cdf[0] = 0.
  const double start = std::floor(mean - 15 * sigma - 15);
  const std::uint64_t k0 = start <= 0 ? 0 : static_cast<std::uint64_t>(start);
  const std::uint64_t k1 =
      std::min<std::uint64_t>(n, static_cast<std::uint64_t>(std::ceil(mean + 15 * sigma + 15)));
  const double log_q = std::log(q), log_1q = std::log1p(-q), log_odds = log_q - log_1q;
  std::vector<double> cdf(k1 - k0 + 2, 0.0);
  double log_pmf = log_binomial_pmf(n, k0, log_q, log_1q);
  for (std::uint64_t k = k0; k <= k1; ++k) {
    if (k > k0) {
      const auto kd = static_cast<double>(k);
      log_pmf += std::log((nd - kd + 1) / kd) + log_odds;
    }
    cdf[k - k0 + 1] = cdf[k - k0] + std::exp(log_pmf);
  }
  // P(B <= k - 1), for a rank k in [0, n + 1].
  auto below = [&](std::uint64_t k) {
    if (k <= k0) return 0.0;
    if (k - k0 >= cdf.size()) return 1.0;
    return cdf[k - k0];
  };
  // Equal tails first: l the largest rank with P(B <= l - 1) <= tail, u the
  // smallest with P(B <= u - 1) >= 1 - tail. A side without one is unbounded.
  r.low = k0;
  while (r.low < n && below(r.low + 1) <= tail) ++r.low;
  r.high = k0 + 1;
  while (r.high <= n && below(r.high) < 1 - tail) ++r.high;
  if (r.low == 0 || r.high > n) return r;
  // Discreteness makes the equal-tailed pair cover more than asked (97.6% for
  // p99 of 1,000 samples). Among the pairs covering at least `confidence`
  // with neither tail over twice its share, take the one fewest ranks wide,
  // then the one with the most even tails: 95.7% there.
  const double coverage = 1 - 2 * tail;
  rank_interval best = r;
  double best_imbalance = std::abs(below(r.low) - (1 - below(r.high)));
  const std::uint64_t reach = static_cast<std::uint64_t>(2 * sigma) + 2;
  for (std::uint64_t l = r.low > reach ? r.low - reach : 1; l <= n; ++l) {
    const double lower_tail = below(l);
    if (lower_tail > 2 * tail) break;
    // The smallest u >= l covering enough: below() is monotone.
    std::uint64_t lo = l, hi = n + 1;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (below(mid) - lower_tail >= coverage) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (lo > n) continue;
    const double upper_tail = 1 - below(lo);
    if (upper_tail > 2 * tail) continue;
    const double imbalance = std::abs(lower_tail - upper_tail);
    if (lo - l < best.high - best.low ||
        (lo - l == best.high - best.low && imbalance < best_imbalance)) {
      best = {l, lo};
      best_imbalance = imbalance;
    }
  }
  return best;
}

double rank_coverage(std::uint64_t n, double q, rank_interval r) {
  if (n == 0) return 1;
  const std::uint64_t from = std::max<std::uint64_t>(r.low, 0);
  const std::uint64_t to = std::min<std::uint64_t>(r.high == 0 ? 0 : r.high - 1, n);
  const double log_q = std::log(q), log_1q = std::log1p(-q);
  double sum = 0;
  for (std::uint64_t k = from; k <= to; ++k) sum += std::exp(log_binomial_pmf(n, k, log_q, log_1q));
  return std::min(sum, 1.0);
}

value_interval percentile_interval(const histogram& h, double p, double confidence) {
  const std::uint64_t n = h.count();
  if (n == 0) return {};
  const rank_interval r = quantile_ranks(n, p / 100, confidence);
  value_interval v;
  if (r.low >= 1) v.low_ns = h.range_at_rank(r.low).lowest;
  if (r.high <= n) v.high_ns = h.range_at_rank(r.high).highest;
  return v;
}

double relative_half_width(const percentile_ci& ci, double value, bool recorded) {
  if (!recorded) return std::numeric_limits<double>::quiet_NaN();
  if (ci.low < 0 || ci.high < 0) return std::numeric_limits<double>::infinity();
  const double reach = std::max(ci.high - value, value - ci.low);
  if (reach <= 0) return 0;
  return value > 0 ? reach / value : std::numeric_limits<double>::infinity();
}

latency_interval latency_interval_of(const histogram& h) {
  constexpr double confidence = 0.95;
  auto at = [&](double p) {
    const value_interval v = percentile_interval(h, p, confidence);
    auto us = [](std::int64_t ns) { return ns < 0 ? -1.0 : static_cast<double>(ns) / 1e3; };
    return percentile_ci{us(v.low_ns), us(v.high_ns)};
  };
  latency_interval out;
  out.confidence = confidence;
  out.p50 = at(50);
  out.p90 = at(90);
  out.p99 = at(99);
  out.p999 = at(99.9);
  return out;
}

}  // namespace ccbench
