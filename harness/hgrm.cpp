#include "harness/hgrm.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

namespace ccbench {
namespace {

constexpr double unit_ns = 1000.0;  // values written in microseconds
constexpr int ticks_per_half_distance = 5;

void append(std::string& out, const char* format, auto... args) {
  char buf[160];
  const int n = std::snprintf(buf, sizeof buf, format, args...);
  if (n > 0) out.append(buf, static_cast<std::size_t>(n) < sizeof buf ? n : sizeof buf - 1);
}

// HdrHistogram's PercentileIterator: ticks of a fixed size within each half
// of the distance left to 100%, halving as each half is crossed.
double next_level(double level) {
  const auto halvings = static_cast<std::int64_t>(std::log(100.0 / (100.0 - level)) / std::log(2));
  const auto ticks = static_cast<double>(ticks_per_half_distance) * std::pow(2.0, halvings + 1);
  return level + 100.0 / ticks;
}

}  // namespace

std::string to_hgrm(const histogram& h, std::optional<double> mean_ns) {
  std::string out;
  append(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  struct bucket {
    std::int64_t value;
    std::uint64_t count;
  };
  std::vector<bucket> buckets;
  h.for_each_bucket([&](std::int64_t v, std::uint64_t c) { buckets.push_back({v, c}); });
  const std::uint64_t total = h.count();
  const double mean = mean_ns.value_or(h.mean());
  if (total > 0) {
    // As HdrHistogram iterates: at each bucket, a line for every tick the
    // cumulative share has reached; at the last bucket only one, then the
    // last line at 100%.
    double level = 0;
    std::uint64_t cumulative = 0;
    for (const bucket& b : buckets) {
      cumulative += b.count;
      const double share = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total);
      while (share >= level) {
        append(out, "%12.2f %2.12f %10llu %14.2f\n", static_cast<double>(b.value) / unit_ns,
               level / 100.0, static_cast<unsigned long long>(cumulative),
               1.0 / (1.0 - level / 100.0));
        level = next_level(level);
        if (cumulative == total) break;
      }
      if (cumulative == total) break;
    }
    append(out, "%12.2f %2.12f %10llu\n", static_cast<double>(buckets.back().value) / unit_ns, 1.0,
           static_cast<unsigned long long>(total));
  }
  double squares = 0;
  for (const bucket& b : buckets) {
    const double d = static_cast<double>(b.value) - mean;
    squares += d * d * static_cast<double>(b.count);
  }
  const double deviation = total > 0 ? std::sqrt(squares / static_cast<double>(total)) : 0.0;
  append(out, "#[Mean    = %12.2f, StdDeviation   = %12.2f]\n", mean / unit_ns,
         deviation / unit_ns);
  append(out, "#[Max     = %12.2f, Total count    = %12llu]\n",
         static_cast<double>(h.max()) / unit_ns, static_cast<unsigned long long>(total));
  append(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", histogram::hdr_bucket_count,
         histogram::hdr_sub_bucket_count);
  return out;
}

namespace {

histogram from_buckets(const std::vector<std::uint64_t>& value_ns,
                       const std::vector<std::uint64_t>& count) {
  histogram h;
  const std::size_t n = std::min(value_ns.size(), count.size());
  for (std::size_t i = 0; i < n; ++i) h.record_n(static_cast<std::int64_t>(value_ns[i]), count[i]);
  return h;
}

}  // namespace

histogram latency_histogram_of(const run_record& r) {
  return from_buckets(r.latency_bucket_ns, r.latency_bucket_count);
}

std::string latency_hgrm(const run_record& r) {
  return to_hgrm(latency_histogram_of(r), r.latency.mean * 1e3);
}

std::string latency_hgrm(const class_result& c) {
  return to_hgrm(from_buckets(c.latency_bucket_ns, c.latency_bucket_count), c.latency.mean * 1e3);
}

std::string hgrm_file_name(std::size_t index, const run_record& r, const std::string& class_name) {
  char head[16];
  std::snprintf(head, sizeof head, "%03zu", index + 1);
  const run_config& c = r.config;
  std::string name =
      std::string(head) + "-" + c.model + "-" + std::string(to_string(c.options.offload));
  if (c.options.threads > 1) name += "-x" + std::to_string(c.options.threads);
  if (c.arrival == arrival_kind::closed) {
    name += "-c" + std::to_string(c.concurrency);
  } else {
    char rate[32];
    std::snprintf(rate, sizeof rate, "-r%g", c.rate);
    name += rate;
  }
  if (c.repetition > 0) name += "-rep" + std::to_string(c.repetition + 1);
  if (!class_name.empty()) name += "-" + class_name;
  for (char& ch : name) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
    if (!plain) ch = '_';
  }
  return name + ".hgrm";
}

}  // namespace ccbench
