#include "harness/step_source.hpp"

#include <cmath>

#include "harness/step_work.hpp"

namespace ccbench {
namespace {

constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from the top 53 bits.
double unit(std::uint64_t bits) noexcept { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

}  // namespace

step_source::step_source(workload w, std::uint64_t seed, double rounds_per_ns)
    : workload_(std::move(w)), seed_(seed), rounds_per_ns_(rounds_per_ns) {}

bool step_source::draw(std::uint64_t task_id, std::size_t index, step& out) const noexcept {
  const step_spec& spec = workload_.steps()[index];
  // Counter-based randomness: three independent words per (seed, task, step).
  const std::uint64_t base = splitmix64(seed_ ^ splitmix64(task_id * 131 + index));
  const std::uint64_t r_take = splitmix64(base + 1);
  const std::uint64_t r_len = splitmix64(base + 2);
  if (spec.percent < 100.0 && unit(r_take) * 100.0 >= spec.percent) return false;
  double ns = static_cast<double>(spec.mean.count());
  if (spec.exponential) ns *= -std::log1p(-unit(r_len));
  out.kind = spec.kind;
  out.duration = nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
  out.rounds = spec.kind == step_kind::cpu
                   ? static_cast<std::uint64_t>(std::llround(ns * rounds_per_ns_))
                   : 0;
  out.seed = splitmix64(base + 3);
  out.index = static_cast<std::uint32_t>(index);
  return true;
}

std::uint64_t step_source::expected_checksum(std::uint64_t task_id) const noexcept {
  std::uint64_t sum = 0;
  for (const step& s : task_steps(*this, task_id)) {
    if (s.kind == step_kind::cpu) sum = fold_checksum(sum, cpu_burn_expected(s.seed, s.rounds));
  }
  return sum;
}

}  // namespace ccbench
