#include "harness/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "harness/host_noise.hpp"
#include "harness/shard_balance.hpp"

namespace ccbench {
namespace {

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
constexpr double t975[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                           2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                           2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

bool same_config(const run_config& a, const run_config& b) {
  return a.model == b.model && a.options.threads == b.options.threads &&
         a.options.offload == b.options.offload && a.workload == b.workload &&
         a.arrival == b.arrival && a.concurrency == b.concurrency && a.rate == b.rate &&
         a.group == b.group && a.duration == b.duration && a.cpus == b.cpus;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
  return buf;
}

}  // namespace

spread spread_of(std::vector<double> samples) {
  spread s;
  s.samples = samples;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  const double mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(n);
  double ss = 0;
  for (double v : samples) ss += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0;
  s.cv = mean != 0 ? sd / mean : 0;
  const double t = n > 1 ? (n - 1 <= 30 ? t975[n - 2] : 1.96) : 0;
  const double half = t * sd / std::sqrt(static_cast<double>(n));
  s.ci95_low = mean - half;
  s.ci95_high = mean + half;
  return s;
}

std::string short_name(const run_config& c) {
  std::string s = c.model;
  if (c.options.offload != offload_mode::none) s += "+" + std::string(to_string(c.options.offload));
  if (c.options.threads > 1) s += " x" + std::to_string(c.options.threads);
  if (c.cpus > 0) s += " on " + std::to_string(c.cpus) + (c.cpus == 1 ? " cpu" : " cpus");
  s += " " + (c.scenario.empty() ? c.workload : c.scenario);
  if (c.arrival == arrival_kind::open) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " rate=%g/s", c.rate);
    s += buf;
  } else {
    s += " c=" + std::to_string(c.concurrency);
  }
  return s;
}

std::vector<config_summary> summarize_repetitions(const std::vector<run_record>& runs) {
  std::vector<config_summary> out;
  std::vector<bool> used(runs.size(), false);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (used[i]) continue;
    std::vector<double> tput, p99;
    for (std::size_t j = i; j < runs.size(); ++j) {
      if (used[j] || !same_config(runs[i].config, runs[j].config)) continue;
      used[j] = true;
      if (runs[j].status != run_status::ok) continue;
      tput.push_back(runs[j].throughput_per_s);
      p99.push_back(runs[j].latency.p99);
    }
    if (tput.size() < 2) continue;
    config_summary s;
    s.key = runs[i].config;
    s.n = static_cast<int>(tput.size());
    s.throughput = spread_of(std::move(tput));
    s.p99_us = spread_of(std::move(p99));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> measurement_warnings(const std::vector<run_record>& runs,
                                              const std::vector<config_summary>& summaries) {
  std::vector<std::string> w;
  int thin = 0;
  std::string thin_example;
  for (const run_record& r : runs) {
    if (r.status != run_status::ok) continue;
    // A percentile p needs at least 10 / (1 - p) samples to mean anything.
    if (r.latency.count < 1000) {
      if (thin++ == 0) {
        thin_example =
            short_name(r.config) + " has " + std::to_string(r.latency.count) + " latency samples";
      }
    }
    if (r.config.arrival == arrival_kind::open && r.generator_lag_ms > 10) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f ms", r.generator_lag_ms);
      w.push_back(short_name(r.config) + ": the arrival generator fell behind its schedule by up " +
                  "to " + buf +
                  " (its scheduler was busy); latency from the intended start counts that "
                  "wait, the uncorrected latency hides it");
    }
  }
  if (thin > 0) {
    w.push_back(std::to_string(thin) + " run" + (thin == 1 ? "" : "s") +
                " measured fewer than 1,000 tasks (e.g. " + thin_example +
                "): p99 needs at least 1,000 samples and p99.9 10,000; lengthen --duration or "
                "raise --concurrency for those");
  }
  for (std::string& n : host_noise_warnings(runs)) w.push_back(std::move(n));
  for (std::string& n : shard_balance_warnings(runs)) w.push_back(std::move(n));
  for (const config_summary& s : summaries) {
    const double cv = std::max(s.throughput.cv, s.p99_us.cv);
    if (cv > 0.05) {
      w.push_back(short_name(s.key) + ": repetitions vary by " + percent(cv) +
                  " (coefficient of variation over 5%): the machine is noisy or the window too "
                  "short; lengthen --duration, add --repetitions, or quiet the machine");
    }
  }
  return w;
}

}  // namespace ccbench
