#include "harness/step_source.hpp"

#include <cmath>

#include "harness/net_protocol.hpp"
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

step_source::step_source(workload w, std::uint64_t seed, double rounds_per_ns,
                         fault_injection faults)
    : workload_(std::move(w)), seed_(seed), rounds_per_ns_(rounds_per_ns), faults_(faults) {
  if (faults_.every == 0) faults_.kind = step_fault::none;
  const bool faulty = faults_.kind != step_fault::none;
  // In a mix of two classes or more, every step takes draw_random(), which
  // leaves out the steps of the classes not drawn for the task.
  const bool mixed = workload_.classes().size() > 1;
  if (mixed) {
    double cumulative = 0;
    for (std::size_t c = 0; c < workload_.classes().size(); ++c) {
      cumulative += workload_.share(c);
      class_bounds_.push_back(cumulative);
    }
    class_bounds_.back() = 1.0;  // no rounding gap at the top
    for (std::size_t i = 0; i < workload_.steps().size(); ++i) {
      step_class_.push_back(static_cast<std::uint32_t>(workload_.class_of_step(i)));
    }
  }
  for (const step_spec& spec : workload_.steps()) {
    const auto ns = static_cast<double>(spec.mean.count());
    const bool random = spec.exponential || spec.percent < 100.0;
    // With faults injected every step takes draw_random(), which marks them.
    // A net step draws its nonce per task, as a cpu step its seed.
    const bool seeded = spec.kind == step_kind::cpu || spec.kind == step_kind::net;
    fixed_.push_back({spec.kind, random, mixed || faulty || random || seeded,
                      nanoseconds(static_cast<std::int64_t>(std::llround(ns))),
                      spec.kind == step_kind::cpu   ? rounds_for(ns)
                      : spec.kind == step_kind::net ? spec.bytes
                                                    : 0});
    has_cpu_ = has_cpu_ || seeded;
  }
  size_ = fixed_.size();
}

std::uint64_t step_source::rounds_for(double ns) const noexcept {
  return static_cast<std::uint64_t>(std::llround(ns * rounds_per_ns_));
}

bool step_source::draw_random(std::uint64_t task_id, std::size_t index, step& out) const noexcept {
  if (!step_class_.empty() && step_class_[index] != draw_class(task_id)) return false;
  const step_spec& spec = workload_.steps()[index];
  const fixed_step& fixed = fixed_[index];
  out.kind = spec.kind;
  out.index = static_cast<std::uint32_t>(index);
  out.seed = 0;
  out.fault =
      index == 0 && faults_.kind != step_fault::none && task_id % faults_.every == faults_.every - 1
          ? faults_.kind
          : step_fault::none;
  // Counter-based randomness: three independent words per (seed, task, step).
  const std::uint64_t base = splitmix64(seed_ ^ splitmix64(task_id * 131 + index));
  if (spec.kind == step_kind::cpu || spec.kind == step_kind::net) out.seed = splitmix64(base + 3);
  if (!fixed.random) {
    out.duration = fixed.duration;
    out.rounds = fixed.rounds;
    return true;
  }
  const std::uint64_t r_take = splitmix64(base + 1);
  const std::uint64_t r_len = splitmix64(base + 2);
  if (spec.percent < 100.0 && unit(r_take) * 100.0 >= spec.percent) return false;
  double ns = static_cast<double>(spec.mean.count());
  if (spec.exponential) ns *= -std::log1p(-unit(r_len));
  out.duration = nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
  out.rounds = spec.kind == step_kind::cpu ? rounds_for(ns) : fixed.rounds;
  return true;
}

std::size_t step_source::draw_class(std::uint64_t task_id) const noexcept {
  // Its own stream: a salt no (task, step) pair of draw_random() produces.
  const double u = unit(splitmix64(seed_ ^ splitmix64(~task_id * 0xC1A55ull + 0x5EED)));
  std::size_t c = 0;
  while (c + 1 < class_bounds_.size() && u >= class_bounds_[c]) ++c;
  return c;
}

std::uint64_t step_source::cpu_checksum(std::uint64_t task_id) const noexcept {
  std::uint64_t sum = 0;
  for (const step& s : task_steps(*this, task_id)) {
    if (s.kind == step_kind::cpu) sum = fold_checksum(sum, cpu_burn_expected(s.seed, s.rounds));
    if (s.kind == step_kind::net) sum = fold_checksum(sum, net::expected_digest(s.seed, s.rounds));
  }
  return sum;
}

}  // namespace ccbench
