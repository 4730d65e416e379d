// What a step does when it runs on an OS thread: the same code under every model,
// so models differ only in how they schedule it.
#pragma once

#include <cstdint>

#include "harness/clock.hpp"
#include "harness/step_source.hpp"

namespace ccbench {

/// Real computation: `rounds` steps of a 64-bit linear congruential generator from
/// `seed` (about one nanosecond a round). The result depends on every round, so a
/// model that skips or shortens work returns a wrong value. Any thread; never blocks.
std::uint64_t cpu_burn(std::uint64_t seed, std::uint64_t rounds) noexcept;

/// The value cpu_burn(seed, rounds) returns, computed in O(log rounds) by jumping
/// the generator ahead: how the harness verifies a task without redoing its work.
std::uint64_t cpu_burn_expected(std::uint64_t seed, std::uint64_t rounds) noexcept;

/// Rounds of cpu_burn per nanosecond on one core of this machine: the fastest of
/// several timed runs within about `budget`. Called once per ccbench invocation.
double calibrate_cpu_burn(nanoseconds budget);

/// Folds a cpu step's result into a task checksum (order-sensitive).
constexpr std::uint64_t fold_checksum(std::uint64_t acc, std::uint64_t value) noexcept {
  acc = (acc << 7 | acc >> 57) ^ value;
  return acc * 0x9E3779B97F4A7C15ull;
}

/// A blocking system call (clock_nanosleep on an absolute deadline) that holds the
/// calling OS thread for `d`: the synchronous driver a model can't change.
void block_for(nanoseconds d) noexcept;

/// An io step run on an OS thread that has no event loop: it can only sleep.
void sleep_thread_for(nanoseconds d) noexcept;

/// A net step on the calling OS thread: one blocking round trip to the run's
/// delay server on a connection taken from the session's idle ones
/// (harness/net_session.hpp: opened before the window) and given back after
/// it, as a synchronous client's connection pool does; one is opened if none
/// is idle. Returns the reply's digest. Throws std::runtime_error when no
/// server is set or the round trip fails (the connection is then dropped).
std::uint64_t net_round_trip_here(const step& s);

/// Throws what `fault` asks for (tests only; see fault_injection).
[[noreturn, gnu::cold]] void throw_step_fault(step_fault fault);

/// Runs step `s` on the calling OS thread, holding it: a cpu step computes
/// (returns `acc` folded with its result), a block step blocks, an io step
/// sleeps (a thread has no event loop), a net step does a blocking round trip
/// (returns `acc` folded with the reply's digest). The same code wherever a step runs
/// synchronously: on a scheduler thread, an offload thread, a pool's worker.
/// Throws a test's injected fault, or a net step's failure.
inline std::uint64_t run_step(const step& s, std::uint64_t acc) {
  if (s.fault != step_fault::none) [[unlikely]]
    throw_step_fault(s.fault);
  switch (s.kind) {
    case step_kind::cpu:
      return fold_checksum(acc, cpu_burn(s.seed, s.rounds));
    case step_kind::block:
      block_for(s.duration);
      break;
    case step_kind::io:
      sleep_thread_for(s.duration);
      break;
    case step_kind::net:
      return fold_checksum(acc, net_round_trip_here(s));
  }
  return acc;
}

/// Sets the calling thread's timer slack to 1 ns (the default 50 us makes a 1 ms
/// sleep overshoot by about 70 us). Threads created afterwards inherit it.
void set_precise_timer_slack() noexcept;

/// CPU time (thread CPU clock) the calling thread is charged for one wake-up
/// from a 1 ms sleep, in microseconds: the mean over `wakeups` sleeps, with the
/// thread's timer slack at 1 ns meanwhile. Every model's stall probe sleeps and
/// wakes like this up to once a millisecond, so this is the floor of what an
/// idle model costs here (25 to 48 us on our 2-vCPU VM).
double measure_wakeup_cpu_us(int wakeups = 100) noexcept;

}  // namespace ccbench
