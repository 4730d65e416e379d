// A log-linear histogram of nanosecond values in the manner of HdrHistogram.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

namespace ccbench {

/// Records non-negative nanosecond values with at most 1/128 (0.78%) relative
/// error from 1 us to 2^42 ns (73 minutes): 128 linear sub-buckets per power of
/// two, exact below 256 ns. Larger values are clamped to the top bucket (the
/// exact max is kept). 37 KiB; not thread-safe: keep one per thread, merge after.
class histogram {
 public:
  static constexpr int sub_bucket_bits = 7;
  static constexpr std::int64_t highest_trackable = (std::int64_t{1} << 42) - 1;

  histogram() { reset(); }

  void record(std::int64_t ns) noexcept {
    if (ns < 0) ns = 0;
    ++counts_[index_of(ns < highest_trackable ? ns : highest_trackable)];
    ++count_;
    sum_ += static_cast<std::uint64_t>(ns);
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }

  void merge(const histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  /// 0 when empty.
  std::int64_t min() const noexcept { return count_ ? min_ : 0; }
  std::int64_t max() const noexcept { return count_ ? max_ : 0; }
  double mean() const noexcept {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
  }

  /// Nearest-rank percentile, `p` in [0, 100]: the highest value equivalent to
  /// the bucket holding the ceil(p/100 * count)-th smallest sample, clamped to
  /// [min, max] (so p=100 is the exact max). Never under-reports. 0 when empty.
  std::int64_t value_at_percentile(double p) const noexcept;

  /// The bucket holding the `rank`-th smallest sample (1-based, clamped to
  /// [1, count]): its lowest and highest equivalent values, clamped to
  /// [min, max]. {0, 0} when empty. For order-statistic intervals
  /// (percentile_interval.hpp).
  struct value_range {
    std::int64_t lowest = 0, highest = 0;
  };
  value_range range_at_rank(std::uint64_t rank) const noexcept;

  /// Number of samples strictly above `ns`, to bucket precision.
  std::uint64_t count_above(std::int64_t ns) const noexcept;

  /// Calls f(value, count) for each bucket that holds samples, in increasing
  /// order: `value` is the highest value equivalent to the bucket, clamped to
  /// [min, max] as value_at_percentile() does.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < size; ++i) {
      if (counts_[i] == 0) continue;
      const std::int64_t v = highest_equivalent(i);
      f(v < min_ ? min_ : v > max_ ? max_ : v, counts_[i]);
    }
  }
  /// Adds `n` samples of `ns` (a bucket read back); the sum grows by n * ns.
  void record_n(std::int64_t ns, std::uint64_t n) noexcept {
    if (n == 0) return;
    if (ns < 0) ns = 0;
    counts_[index_of(ns < highest_trackable ? ns : highest_trackable)] += n;
    count_ += n;
    sum_ += static_cast<std::uint64_t>(ns) * n;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  /// HdrHistogram's terms for this layout (the .hgrm footer): sub-buckets per
  /// bucket, and buckets to cover the highest trackable value.
  static constexpr int hdr_sub_bucket_count = 2 * (1 << sub_bucket_bits);
  static constexpr int hdr_bucket_count = 42 - sub_bucket_bits;

 private:
  static constexpr std::int64_t sub_bucket_half = std::int64_t{1} << sub_bucket_bits;  // 128
  static constexpr int buckets = 42 - sub_bucket_bits;  // powers of two above the exact range
  static constexpr std::size_t size = 2 * sub_bucket_half + buckets * sub_bucket_half;

  // Values below 256 have their own bucket; above, `shift` drops all but the
  // top 8 bits (sub in [128, 255]) and the index is 256 + (shift - 1) * 128 +
  // (sub - 128) = shift * 128 + sub. With msb taken of (v | 255), shift is 0
  // below 256 and the same formula gives v: no branch on the hot path.
  static std::size_t index_of(std::int64_t v) noexcept {
    const auto u = static_cast<std::uint64_t>(v);
    const int shift = 63 - __builtin_clzll(u | (2 * sub_bucket_half - 1)) - sub_bucket_bits;
    return (static_cast<std::size_t>(shift) << sub_bucket_bits) + (u >> shift);
  }
  static std::int64_t highest_equivalent(std::size_t index) noexcept;
  static std::int64_t lowest_equivalent(std::size_t index) noexcept;

  std::array<std::uint64_t, size> counts_;
  std::uint64_t count_ = 0;
  std::int64_t min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ = 0;
  // In integer nanoseconds: exact, and a plain add on the hot path. It wraps
  // after 2^64 ns (584 years) of recorded time in all. Not beside count_: g++
  // would add the two as one vector, through a store to the stack and a load.
  std::uint64_t sum_ = 0;
};

}  // namespace ccbench
