#include "harness/step_work.hpp"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace ccbench {
namespace {

// Knuth's MMIX constants: full period mod 2^64.
constexpr std::uint64_t lcg_mul = 6364136223846793005ull;
constexpr std::uint64_t lcg_add = 1442695040888963407ull;

void sleep_until_monotonic(nanoseconds d) noexcept {
  if (d.count() <= 0) return;
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  const std::int64_t ns = deadline.tv_nsec + d.count();
  deadline.tv_sec += static_cast<time_t>(ns / 1'000'000'000);
  deadline.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  // Absolute deadline, so a signal (EINTR) does not stretch the sleep.
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
  }
}

}  // namespace

// noinline keeps callers from seeing through the loop; the serial dependency on
// `x` keeps the compiler from vectorising or shortening it.
__attribute__((noinline)) std::uint64_t cpu_burn(std::uint64_t seed,
                                                 std::uint64_t rounds) noexcept {
  std::uint64_t x = seed;
  for (std::uint64_t i = 0; i < rounds; ++i) x = x * lcg_mul + lcg_add;
  return x;
}

std::uint64_t cpu_burn_expected(std::uint64_t seed, std::uint64_t rounds) noexcept {
  // f(x) = a x + c; f^n(x) = A x + C, found by squaring (a, c) n's bits.
  std::uint64_t acc_mul = 1, acc_add = 0;
  std::uint64_t cur_mul = lcg_mul, cur_add = lcg_add;
  while (rounds) {
    if (rounds & 1) {
      acc_mul = acc_mul * cur_mul;
      acc_add = acc_add * cur_mul + cur_add;
    }
    cur_add = (cur_mul + 1) * cur_add;
    cur_mul = cur_mul * cur_mul;
    rounds >>= 1;
  }
  return acc_mul * seed + acc_add;
}

double calibrate_cpu_burn(nanoseconds budget) {
  // Warm up (frequency ramp), then keep the fastest of several runs: the best
  // case is the one least disturbed by other work on a shared machine.
  constexpr std::uint64_t rounds = 1u << 20;
  volatile std::uint64_t sink = cpu_burn(1, rounds);
  double best_ns_per_round = 1e9;
  const time_point stop = clock::now() + budget;
  int runs = 0;
  do {
    const time_point t0 = clock::now();
    sink = sink + cpu_burn(static_cast<std::uint64_t>(runs) + 2, rounds);
    const auto elapsed = std::chrono::duration<double, std::nano>(clock::now() - t0).count();
    best_ns_per_round = std::min(best_ns_per_round, elapsed / rounds);
    ++runs;
  } while (runs < 3 || (clock::now() < stop && runs < 1000));
  return 1.0 / best_ns_per_round;
}

void block_for(nanoseconds d) noexcept { sleep_until_monotonic(d); }

void sleep_thread_for(nanoseconds d) noexcept { sleep_until_monotonic(d); }

void throw_step_fault(step_fault fault) {
  if (fault == step_fault::std_exception) throw std::runtime_error("injected fault: a step threw");
  throw 42;  // not a std::exception
}

void set_precise_timer_slack() noexcept { prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }

double measure_wakeup_cpu_us(int wakeups) noexcept {
  auto thread_cpu_ns = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
  };
  const int slack = prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);
  set_precise_timer_slack();
  sleep_until_monotonic(std::chrono::milliseconds(1));  // the first one may page in code
  const int n = std::max(1, wakeups);
  const double before = thread_cpu_ns();
  for (int i = 0; i < n; ++i) sleep_until_monotonic(std::chrono::milliseconds(1));
  const double used = thread_cpu_ns() - before;
  if (slack > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack), 0UL, 0UL, 0UL);
  return used / n / 1e3;
}

}  // namespace ccbench
