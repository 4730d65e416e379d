#include "harness/usl_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace ccbench {
namespace {

// Least squares without weights for y = sum_j c_j f_j over the chosen basis
// functions (1, k - 1, k (k - 1)); false when the normal equations are singular.
bool solve(const std::vector<usl_point>& pts, const bool use[3], double coef[3]) {
  auto basis = [](int j, double k) { return j == 0 ? 1.0 : j == 1 ? k - 1 : k * (k - 1); };
  int idx[3], n = 0;
  for (int j = 0; j < 3; ++j) {
    if (use[j]) idx[n++] = j;
  }
  double a[3][4] = {};
  for (const usl_point& p : pts) {
    const double y = p.k / p.x;
    for (int r = 0; r < n; ++r) {
      for (int c = 0; c < n; ++c) a[r][c] += basis(idx[r], p.k) * basis(idx[c], p.k);
      a[r][n] += basis(idx[r], p.k) * y;
    }
  }
  // Gaussian elimination with partial pivoting on n <= 3 unknowns.
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    }
    if (std::fabs(a[piv][c]) < 1e-300) return false;
    for (int j = 0; j <= n; ++j) std::swap(a[c][j], a[piv][j]);
    for (int r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int j = c; j <= n; ++j) a[r][j] -= f * a[c][j];
    }
  }
  coef[0] = coef[1] = coef[2] = 0;
  for (int r = 0; r < n; ++r) coef[idx[r]] = a[r][n] / a[r][r];
  return true;
}

}  // namespace

double usl_fit::at(double k) const noexcept {
  const double d = 1 + sigma * (k - 1) + kappa * k * (k - 1);
  return d > 0 ? lambda * k / d : 0;
}

usl_fit fit_usl(const std::vector<usl_point>& points) {
  usl_fit f;
  std::vector<usl_point> pts;
  std::set<double> ks;
  for (const usl_point& p : points) {
    if (p.k > 0 && p.x > 0 && std::isfinite(p.x)) {
      pts.push_back(p);
      ks.insert(p.k);
    }
  }
  f.points = static_cast<int>(ks.size());
  if (f.points < 2) {
    f.caveat = f.points == 0 ? "no throughput measured" : "one core count only: nothing to fit";
    if (f.points == 1) f.lambda = pts[0].x / pts[0].k;
    return f;
  }
  // Three unknowns need three core counts; with two, kappa is taken as 0.
  bool use[3] = {true, true, f.points >= 3};
  double c[3];
  bool ok = solve(pts, use, c);
  // sigma or kappa below 0 has no meaning in the law (super-linear scaling,
  // or noise): refit with it held at 0, kappa first. Dropping one can turn
  // the other negative, so until neither is.
  for (bool again = true; ok && again;) {
    again = false;
    for (int j : {2, 1}) {
      if (use[j] && c[j] < 0) {
        use[j] = false;
        ok = solve(pts, use, c);
        again = true;
        break;
      }
    }
  }
  if (!ok || !(c[0] > 0)) {
    f.caveat = "the points do not fit the law (throughput falls as cores are added from the start)";
    return f;
  }
  f.lambda = 1 / c[0];
  // Rounding can leave -1e-18 where the exact answer is 0.
  f.sigma = std::max(0.0, c[1] / c[0]);
  f.kappa = std::max(0.0, c[2] / c[0]);
  f.peak_k = f.kappa > 0 && f.sigma < 1 ? std::sqrt((1 - f.sigma) / f.kappa) : 0;
  // r2 of the fitted throughput against the measured one.
  double mean = 0;
  for (const usl_point& p : pts) mean += p.x;
  mean /= static_cast<double>(pts.size());
  double ss_res = 0, ss_tot = 0;
  for (const usl_point& p : pts) {
    ss_res += (p.x - f.at(p.k)) * (p.x - f.at(p.k));
    ss_tot += (p.x - mean) * (p.x - mean);
  }
  // Flat points (a one-core model) leave nothing to explain: judge the
  // residuals against the throughput itself.
  const double scale = mean * mean * static_cast<double>(pts.size());
  if (ss_tot > 1e-9 * scale) {
    f.r2 = 1 - ss_res / ss_tot;
  } else {
    f.r2 = ss_res <= 1e-4 * scale ? 1 : 0;
  }
  if (f.points < 4) {
    std::string list;
    for (double k : ks) list += (list.empty() ? "" : ", ") + std::to_string(std::lround(k));
    f.caveat = "only k = " + list +
               " measured: too few core counts to separate contention from coherency (at "
               "least 4 are needed)";
  } else if (f.r2 < 0.9) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "a poor fit (r2 %.2f): the points do not follow the law", f.r2);
    f.caveat = buf;
  }
  f.trusted = f.caveat.empty();
  return f;
}

}  // namespace ccbench
