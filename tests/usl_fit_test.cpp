// The Universal Scalability Law fit: it recovers known sigma and kappa from
// synthetic points, and says when it cannot be trusted.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "harness/usl_fit.hpp"

namespace ccbench {
namespace {

std::vector<usl_point> law(double lambda, double sigma, double kappa, std::vector<double> ks,
                           double wobble = 0) {
  std::vector<usl_point> out;
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const double k = ks[i];
    const double x = lambda * k / (1 + sigma * (k - 1) + kappa * k * (k - 1));
    // Alternating +-wobble: a deterministic stand-in for noise.
    out.push_back({k, x * (1 + (i % 2 == 0 ? wobble : -wobble))});
  }
  return out;
}

TEST(UslFit, RecoversKnownContentionAndCoherency) {
  const usl_fit f = fit_usl(law(1000, 0.05, 0.002, {1, 2, 4, 8, 16, 32}));
  EXPECT_NEAR(f.lambda, 1000, 1e-6);
  EXPECT_NEAR(f.sigma, 0.05, 1e-9);
  EXPECT_NEAR(f.kappa, 0.002, 1e-9);
  EXPECT_NEAR(f.peak_k, std::sqrt(0.95 / 0.002), 1e-6);
  EXPECT_NEAR(f.r2, 1, 1e-12);
  EXPECT_TRUE(f.trusted) << f.caveat;
  EXPECT_EQ(f.points, 6);
  EXPECT_NEAR(f.at(8), 1000 * 8 / (1 + 0.05 * 7 + 0.002 * 56), 1e-6);
}

TEST(UslFit, ToleratesNoise) {
  const usl_fit f = fit_usl(law(500, 0.1, 0.0005, {1, 2, 4, 8, 16}, 0.02));
  EXPECT_NEAR(f.sigma, 0.1, 0.03);
  EXPECT_NEAR(f.kappa, 0.0005, 0.001);
  EXPECT_NEAR(f.lambda, 500, 25);
  EXPECT_TRUE(f.trusted) << f.caveat;
}

TEST(UslFit, LinearScalingHasNoContentionAndNoPeak) {
  const usl_fit f = fit_usl(law(1000, 0, 0, {1, 2, 4, 8}));
  EXPECT_NEAR(f.sigma, 0, 1e-9);
  EXPECT_NEAR(f.kappa, 0, 1e-9);
  EXPECT_EQ(f.peak_k, 0);
}

// Super-linear noise would give a negative sigma: held at 0 instead.
TEST(UslFit, KeepsSigmaAndKappaAtZeroOrAbove) {
  const usl_fit f = fit_usl({{1, 1000}, {2, 2100}, {4, 4300}, {8, 8800}});
  EXPECT_GE(f.sigma, 0);
  EXPECT_GE(f.kappa, 0);
  EXPECT_GT(f.lambda, 0);
}

TEST(UslFit, TwoCoreCountsAreNotTrusted) {
  const usl_fit f = fit_usl(law(1000, 0.2, 0, {1, 2}));
  EXPECT_NEAR(f.sigma, 0.2, 1e-9);
  EXPECT_EQ(f.kappa, 0);
  EXPECT_FALSE(f.trusted);
  EXPECT_NE(f.caveat.find("only k = 1, 2 measured"), std::string::npos) << f.caveat;
}

TEST(UslFit, APoorFitIsNotTrusted) {
  const usl_fit f = fit_usl({{1, 1000}, {2, 300}, {4, 3000}, {8, 200}, {16, 5000}});
  EXPECT_FALSE(f.trusted);
  EXPECT_FALSE(f.caveat.empty());
}

TEST(UslFit, NothingToFit) {
  EXPECT_FALSE(fit_usl({}).trusted);
  const usl_fit one = fit_usl({{1, 900}});
  EXPECT_FALSE(one.trusted);
  EXPECT_EQ(one.lambda, 900);
  EXPECT_FALSE(fit_usl({{1, 0}, {2, -1}}).trusted);
}

}  // namespace
}  // namespace ccbench
