#include "harness/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace ccbench {
namespace {

std::int64_t exact_percentile(std::vector<std::int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

TEST(Histogram, PercentilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(12345);
  // Log-uniform from 1 us to 1 h: every decade of the range gets samples.
  std::uniform_real_distribution<double> exponent(3.0, std::log10(3.6e12));
  std::vector<std::int64_t> values;
  histogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<std::int64_t>(std::pow(10.0, exponent(rng)));
    values.push_back(v);
    h.record(v);
  }
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const double exact = static_cast<double>(exact_percentile(values, p));
    const double got = static_cast<double>(h.value_at_percentile(p));
    EXPECT_LE(std::abs(got - exact) / exact, 0.01) << "p" << p;
    EXPECT_GE(got, exact) << "p" << p << ": a percentile must never under-report";
  }
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, ExactBelow256AndMeanExact) {
  histogram h;
  for (int v = 0; v < 256; ++v) h.record(v);
  EXPECT_EQ(h.value_at_percentile(50), 127);
  EXPECT_DOUBLE_EQ(h.mean(), 127.5);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  histogram a, b, all;
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> d(1.0 / 1e6);
  for (int i = 0; i < 10000; ++i) {
    const auto v = static_cast<std::int64_t>(d(rng));
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  for (double p : {50.0, 99.0, 99.9})
    EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p));
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
}

TEST(Histogram, ClampsOutOfRangeAndEmptyIsZero) {
  histogram h;
  EXPECT_EQ(h.value_at_percentile(99), 0);
  h.record(-5);
  h.record(std::int64_t{1} << 50);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), std::int64_t{1} << 50);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.count_above(1000), 1u);
}

}  // namespace
}  // namespace ccbench
