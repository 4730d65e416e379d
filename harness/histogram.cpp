#include "harness/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ccbench {

void histogram::reset() noexcept {
  counts_.fill(0);
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<std::int64_t>::max();
  max_ = 0;
}

void histogram::merge(const histogram& other) noexcept {
  if (other.count_ == 0) return;
  // Only the buckets between other's min and max can hold anything: a merge
  // of a few hundred buckets rather than 4,736 (the monitor of --precision
  // merges every thread's histogram every interval).
  const std::size_t last = index_of(std::min(other.max_, highest_trackable));
  for (std::size_t i = index_of(other.min_); i <= last; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::int64_t histogram::highest_equivalent(std::size_t index) noexcept {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * sub_bucket_half) return i;
  const std::int64_t shift = (i - 2 * sub_bucket_half) / sub_bucket_half + 1;
  const std::int64_t sub = (i - 2 * sub_bucket_half) % sub_bucket_half + sub_bucket_half;
  return ((sub + 1) << shift) - 1;
}

std::int64_t histogram::value_at_percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < size; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_equivalent(i), min_, max_);
  }
  return max_;
}

std::int64_t histogram::lowest_equivalent(std::size_t index) noexcept {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * sub_bucket_half) return i;
  const std::int64_t shift = (i - 2 * sub_bucket_half) / sub_bucket_half + 1;
  const std::int64_t sub = (i - 2 * sub_bucket_half) % sub_bucket_half + sub_bucket_half;
  return sub << shift;
}

histogram::value_range histogram::range_at_rank(std::uint64_t rank) const noexcept {
  if (count_ == 0) return {};
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < size; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return {std::clamp(lowest_equivalent(i), min_, max_),
              std::clamp(highest_equivalent(i), min_, max_)};
    }
  }
  return {max_, max_};
}

std::uint64_t histogram::count_above(std::int64_t ns) const noexcept {
  if (ns < 0) return count_;
  std::uint64_t n = 0;
  for (std::size_t i = index_of(std::min(ns, highest_trackable)) + 1; i < size; ++i) {
    n += counts_[i];
  }
  return n;
}

}  // namespace ccbench
