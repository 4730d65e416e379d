// Sizes shared by the microbenchmarks.
#pragma once

#include <chrono>
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

/// True when the environment has CCBENCH_MICRO_QUICK=1: quick `make bench` sets
/// it, and the sleepers (which ignore --benchmark_min_time) then measure 0.3 s
/// rather than 1 s. Their ratios in a quick report come from one run and are not
/// judged anyway; `make bench FULL=1` and a plain run keep 1 s.
inline bool quick_mode() noexcept {
  const char* v = std::getenv("CCBENCH_MICRO_QUICK");
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

/// BM_<floor|loop>_sleepers: clients that each sleep 10 ms in turn, what
/// `ccbench run -w io:10ms -c 10000` asks of a model, beside a stall probe that
/// wakes every 1 ms (the run's default): 10,000 clients, or 1,000 in small mode.
/// One iteration is one completion; the CPU time per iteration is the price of
/// a task (the loop's target is 100 ns: README, "Microbenchmarks").
inline std::size_t sleepers() noexcept { return small_mode() ? 1'000 : 10'000; }
constexpr std::chrono::nanoseconds sleeper_sleep = std::chrono::milliseconds(10);
/// Seconds each BM_<model>_sleepers measures, whatever --benchmark_min_time
/// says (0.01 in small mode, 0.3 in quick mode): their CPU per task is the
/// denominator of each model's ratio to BM_<model>_sleepers_in_ccbench, and a
/// window of a few rounds of 10 ms reads tens of percent off.
inline double sleeper_min_time() noexcept { return small_mode() ? 0.01 : quick_mode() ? 0.3 : 1.0; }
constexpr std::chrono::nanoseconds sleeper_probe_period = std::chrono::milliseconds(1);
/// Completions between two looks at the benchmark's state (the loop's main task
/// wakes once a batch), and the warm-up before the first: ten rounds of sleeps,
/// in which the clients, started at once, settle into the bunches the probe cuts
/// them into (with 25 ms, a run of 0.05 s read up to 20% high).
constexpr int sleeper_batch = 1'000;
constexpr std::chrono::nanoseconds sleeper_warmup = std::chrono::milliseconds(100);

/// BM_<model>_spawn spawns this many trivial tasks, then waits until all have
/// completed: the one wake-up of the waiting driver is shared by the batch, so
/// the number is the price of spawn+complete, not of a ping-pong.
constexpr int spawn_batch = 64;

}  // namespace ccbench::micro
