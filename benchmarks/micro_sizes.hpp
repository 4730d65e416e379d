// Sizes shared by the microbenchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace ccbench::micro {

/// True when the environment has CCBENCH_MICRO_SMALL=1. CTest sets it so that the
/// smoke run of every benchmark stays within seconds: skynet then builds a tree of
/// 10,000 leaves and the timer storm arms 10,000 timers instead of 1,000,000. The
/// benchmark names stay the same; numbers taken in this mode are not results.
inline bool small_mode() noexcept {
  const char* v = std::getenv("CCBENCH_MICRO_SMALL");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

/// Leaves of the skynet tree (10-ary): 1,000,000, or 10,000 in small mode.
inline std::uint64_t skynet_leaves() noexcept { return small_mode() ? 10'000 : 1'000'000; }

/// Leaves of BM_skynet_fiber's tree: 100,000 (10,000 when small), or 1,000,000
/// with CCBENCH_MICRO_FIBER_FULL=1. Every fiber of the tree is alive at the peak
/// and Boost.Fiber (Debian's 1.81) needs two touched pages of stack per fiber: the
/// full tree took 12.8 GB resident and 30 s on a 2-vCPU VM, mostly page faults.
inline std::uint64_t skynet_fiber_leaves() noexcept {
  if (small_mode()) return 10'000;
  const char* v = std::getenv("CCBENCH_MICRO_FIBER_FULL");
  return v != nullptr && std::strcmp(v, "1") == 0 ? 1'000'000 : 100'000;
}

/// The sum skynet must find over `leaves` leaves numbered 0..leaves-1.
constexpr std::uint64_t skynet_sum(std::uint64_t leaves) noexcept {
  return leaves * (leaves - 1) / 2;
}

/// Timers armed at once by BM_loop_timers_1m: 1,000,000, or 10,000 in small mode.
inline std::size_t timer_storm_size() noexcept { return small_mode() ? 10'000 : 1'000'000; }

/// BM_<model>_spawn spawns this many trivial tasks, then waits until all have
/// completed: the one wake-up of the waiting driver is shared by the batch, so
/// the number is the price of spawn+complete, not of a ping-pong.
constexpr int spawn_batch = 64;

}  // namespace ccbench::micro
