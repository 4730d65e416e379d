// The .hgrm export: HdrHistogram's percentile-distribution text, read back
// and matched to the histogram it was written from.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness/hgrm.hpp"
#include "harness/histogram.hpp"

namespace ccbench {
namespace {

struct hgrm_line {
  double value_us, percentile;
  std::uint64_t total;
  double inverse;  // NaN on the last line
};

struct hgrm_file {
  std::vector<std::string> header;
  std::vector<hgrm_line> lines;
  double mean = 0, deviation = 0, max = 0;
  std::uint64_t count = 0;
  int buckets = 0, sub_buckets = 0;
};

hgrm_file parse(const std::string& text) {
  hgrm_file f;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  std::istringstream head(line);
  for (std::string w; head >> w;) f.header.push_back(w);
  std::getline(in, line);
  EXPECT_EQ(line, "") << "a blank line after the header";
  while (std::getline(in, line)) {
    if (line.starts_with("#[Mean")) {
      EXPECT_EQ(
          std::sscanf(line.c_str(), "#[Mean = %lf, StdDeviation = %lf]", &f.mean, &f.deviation), 2)
          << line;
    } else if (line.starts_with("#[Max")) {
      unsigned long long n = 0;
      EXPECT_EQ(std::sscanf(line.c_str(), "#[Max = %lf, Total count = %llu]", &f.max, &n), 2);
      f.count = n;
    } else if (line.starts_with("#[Buckets")) {
      EXPECT_EQ(
          std::sscanf(line.c_str(), "#[Buckets = %d, SubBuckets = %d]", &f.buckets, &f.sub_buckets),
          2);
    } else {
      hgrm_line l{0, 0, 0, NAN};
      unsigned long long total = 0;
      const int n = std::sscanf(line.c_str(), "%lf %lf %llu %lf", &l.value_us, &l.percentile,
                                &total, &l.inverse);
      EXPECT_GE(n, 3) << line;
      l.total = total;
      f.lines.push_back(l);
    }
  }
  return f;
}

TEST(Hgrm, ReadBackMatchesTheHistogram) {
  histogram h;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(std::log(2e6), 0.8);  // around 2 ms, in ns
  for (int i = 0; i < 50'000; ++i) h.record(static_cast<std::int64_t>(d(rng)));
  const std::string text = to_hgrm(h);
  const hgrm_file f = parse(text);

  EXPECT_EQ(f.header,
            (std::vector<std::string>{"Value", "Percentile", "TotalCount", "1/(1-Percentile)"}));
  ASSERT_GT(f.lines.size(), 50u);
  EXPECT_DOUBLE_EQ(f.lines.front().percentile, 0.0);
  EXPECT_DOUBLE_EQ(f.lines.back().percentile, 1.0);
  EXPECT_TRUE(std::isnan(f.lines.back().inverse)) << "the 100% line has no 1/(1-Percentile)";
  EXPECT_EQ(f.lines.back().total, h.count());
  EXPECT_NEAR(f.lines.back().value_us, h.max() / 1e3, 0.006);
  for (std::size_t i = 0; i < f.lines.size(); ++i) {
    const hgrm_line& l = f.lines[i];
    // Each line's value is the histogram's at that percentile.
    EXPECT_NEAR(l.value_us, h.value_at_percentile(l.percentile * 100) / 1e3, 0.006)
        << "line " << i << " at " << l.percentile;
    // TotalCount is the samples at or below the value. (Printed to 10 ns, the
    // top of a bucket may round up into the next: look 10 ns below it.)
    const auto ns = static_cast<std::int64_t>(std::llround(l.value_us * 1e3));
    EXPECT_EQ(l.total, h.count() - h.count_above(ns - 10)) << "line " << i;
    if (i + 1 < f.lines.size()) {
      EXPECT_NEAR(l.inverse, 1 / (1 - l.percentile), 0.01 + 1e-6 * l.inverse);
      EXPECT_LE(l.percentile, f.lines[i + 1].percentile);
      EXPECT_LE(l.total, f.lines[i + 1].total);
    }
  }
  // HdrHistogram's ticks: 5 per half distance, so 0.1 steps up to 0.5.
  EXPECT_NEAR(f.lines[1].percentile, 0.1, 1e-12);
  EXPECT_NEAR(f.lines[5].percentile, 0.5, 1e-12);
  EXPECT_NEAR(f.lines[6].percentile, 0.55, 1e-12);
  EXPECT_NEAR(f.mean, h.mean() / 1e3, 0.006);
  EXPECT_NEAR(f.max, h.max() / 1e3, 0.006);
  EXPECT_EQ(f.count, h.count());
  EXPECT_GT(f.deviation, 0);
  EXPECT_EQ(f.buckets, 35);
  EXPECT_EQ(f.sub_buckets, 256);
}

TEST(Hgrm, ARunsBucketsRebuildItsHistogram) {
  histogram h;
  for (std::int64_t v : {1000, 1500, 1500, 250'000, 9'000'000}) h.record(v);
  run_record r;
  r.config.model = "loop";
  h.for_each_bucket([&](std::int64_t v, std::uint64_t c) {
    r.latency_bucket_ns.push_back(static_cast<std::uint64_t>(v));
    r.latency_bucket_count.push_back(c);
  });
  r.latency.mean = h.mean() / 1e3;
  const histogram back = latency_histogram_of(r);
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.max(), h.max());
  // The lowest bucket reads back as its top: within the histogram's 1/128.
  EXPECT_GE(back.min(), h.min());
  EXPECT_LE(back.min(), h.min() + h.min() / 128);
  for (double p : {0.0, 50.0, 90.0, 99.0, 100.0}) {
    EXPECT_EQ(back.value_at_percentile(p), h.value_at_percentile(p)) << p;
  }
  EXPECT_EQ(latency_hgrm(r), to_hgrm(h)) << "the exact mean, as the run recorded it";
  EXPECT_EQ(hgrm_file_name(2, r), "003-loop-none-c1.hgrm");
}

TEST(Hgrm, AnEmptyHistogramHasOnlyHeaderAndFooter) {
  const hgrm_file f = parse(to_hgrm(histogram()));
  EXPECT_TRUE(f.lines.empty());
  EXPECT_EQ(f.count, 0u);
}

}  // namespace
}  // namespace ccbench
