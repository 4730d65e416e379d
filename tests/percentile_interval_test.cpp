#include "harness/percentile_interval.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace ccbench {
namespace {

TEST(PercentileInterval, P99NeedsAtLeast368SamplesForAnUpperBound) {
  // 0.99^367 = 0.0250 > 0.025: with 367 samples the largest still falls
  // below the true p99 more than 2.5% of the time.
  EXPECT_EQ(quantile_ranks(367, 0.99).high, 368u) << "unbounded above";
  EXPECT_EQ(quantile_ranks(368, 0.99).high, 368u) << "the largest sample bounds it";
  EXPECT_GE(quantile_ranks(368, 0.99).low, 1u);
  // p99.9 likewise needs 3,688 (0.999^3687 = 0.02502).
  EXPECT_EQ(quantile_ranks(3687, 0.999).high, 3688u);
  EXPECT_EQ(quantile_ranks(3688, 0.999).high, 3688u);
  // The median of 5 samples has no 95% interval at all (0.5^5 = 0.031).
  EXPECT_EQ(quantile_ranks(5, 0.5).low, 0u);
  EXPECT_EQ(quantile_ranks(5, 0.5).high, 6u);
  EXPECT_EQ(quantile_ranks(6, 0.5).low, 1u);
  EXPECT_EQ(quantile_ranks(6, 0.5).high, 6u);
}

TEST(PercentileInterval, RanksHoldTheQuantileAtLeast95PercentOfTheTime) {
  for (std::uint64_t n : {6u, 50u, 100u, 368u, 1000u, 5000u, 100000u}) {
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
      const rank_interval r = quantile_ranks(n, q);
      const double c = rank_coverage(n, q, r);
      EXPECT_GE(c, 0.95 - 1e-9) << "n=" << n << " q=" << q;
      // The point estimate (nearest rank) lies inside.
      const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
      EXPECT_LE(r.low, rank) << "n=" << n << " q=" << q;
      EXPECT_GE(r.high, rank) << "n=" << n << " q=" << q;
      if (n >= 1000 && q <= 0.99) {
        EXPECT_LE(c, 0.97) << "n=" << n << " q=" << q << ": needlessly wide";
      }
    }
  }
}

TEST(PercentileInterval, NormalApproximationForLargeSamplesKeepsItsCoverage) {
  // sigma = 2,236 (> 2,000): the normal approximation with continuity correction.
  for (double q : {0.5, 0.99}) {
    const std::uint64_t n = q == 0.5 ? 20'000'000 : 600'000'000;
    const rank_interval r = quantile_ranks(n, q);
    const double c = rank_coverage(n, q, r);
    EXPECT_GE(c, 0.949) << "q=" << q;
    EXPECT_LE(c, 0.952) << "q=" << q;
    // Just below the switch, the exact ranks agree with it to a rank or two.
    const std::uint64_t m = q == 0.5 ? 15'900'000 : 400'000'000;
    const rank_interval exact = quantile_ranks(m, q);
    const double sigma = std::sqrt(static_cast<double>(m) * q * (1 - q));
    const double mean = static_cast<double>(m) * q;
    EXPECT_NEAR(static_cast<double>(exact.low), std::floor(mean + 0.5 - 1.959964 * sigma), 2);
    EXPECT_NEAR(static_cast<double>(exact.high), std::ceil(mean - 0.5 + 1.959964 * sigma) + 1, 2);
  }
}

// Over 2,000 draws of n samples from an exponential distribution, the interval
// read from sorted exact samples holds the true quantile 93-97% of the time;
// the one read from the histogram contains it and is within 1% of it.
void check_coverage(std::uint64_t n, double q, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> draw(1.0);
  const double mean_ns = 1e6;                      // 1 ms
  const double truth = -std::log1p(-q) * mean_ns;  // the exponential's q-quantile
  const rank_interval r = quantile_ranks(n, q);
  ASSERT_GE(r.low, 1u);
  ASSERT_LE(r.high, n);
  int held = 0, held_histogram = 0;
  constexpr int trials = 2000;
  std::vector<std::int64_t> v(n);
  for (int t = 0; t < trials; ++t) {
    histogram h;
    for (auto& x : v) {
      x = static_cast<std::int64_t>(draw(rng) * mean_ns);
      h.record(x);
    }
    std::sort(v.begin(), v.end());
    const auto lo = static_cast<double>(v[r.low - 1]), hi = static_cast<double>(v[r.high - 1]);
    held += lo <= truth && truth <= hi;
    const value_interval got = percentile_interval(h, q * 100);
    ASSERT_TRUE(got.bounded());
    const auto glo = static_cast<double>(got.low_ns), ghi = static_cast<double>(got.high_ns);
    ASSERT_LE(glo, lo);
    ASSERT_GE(ghi, hi);
    ASSERT_LE((lo - glo) / lo, 0.01);
    ASSERT_LE((ghi - hi) / hi, 0.01);
    held_histogram += glo <= truth && truth <= ghi;
  }
  const double coverage = static_cast<double>(held) / trials;
  EXPECT_GE(coverage, 0.93) << "n=" << n << " q=" << q;
  EXPECT_LE(coverage, 0.97) << "n=" << n << " q=" << q;
  EXPECT_GE(held_histogram, held);
  EXPECT_LE(static_cast<double>(held_histogram) / trials, 0.975);
}

TEST(PercentileInterval, CoverageBySimulationP99) { check_coverage(1000, 0.99, 19); }
TEST(PercentileInterval, CoverageBySimulationP50) { check_coverage(200, 0.5, 20); }
TEST(PercentileInterval, CoverageBySimulationP90) { check_coverage(500, 0.9, 21); }

TEST(PercentileInterval, TooFewSamplesAreUnbounded) {
  histogram h;
  EXPECT_EQ(percentile_interval(h, 99).low_ns, -1);
  EXPECT_EQ(percentile_interval(h, 99).high_ns, -1);
  for (int i = 1; i <= 61; ++i) h.record(i * 1'000'000);
  const value_interval p99 = percentile_interval(h, 99);
  EXPECT_FALSE(p99.bounded());
  EXPECT_EQ(p99.high_ns, -1) << "61 samples cannot bound a p99 from above";
  EXPECT_GE(p99.low_ns, 50'000'000) << "but they bound it from below";
  const value_interval p50 = percentile_interval(h, 50);
  ASSERT_TRUE(p50.bounded());
  EXPECT_LT(p50.low_ns, 31'000'000);
  EXPECT_GT(p50.high_ns, 31'000'000);
}

}  // namespace
}  // namespace ccbench
