// CPUs a run may use: --cpus restricts a run to the first k CPUs this process
// is allowed (by affinity), and models that pin a thread per core (shards)
// pick their cores from the same set.
#pragma once

#include <string>
#include <vector>

namespace ccbench {

/// The CPUs the calling thread may run on (its affinity mask), in ascending
/// order; every online CPU when the mask cannot be read.
std::vector<int> allowed_cpus();

/// "0-3,6": a CPU list in the kernel's format (cpuset(7)).
std::string format_cpu_list(const std::vector<int>& cpus);

/// The first `k` of allowed_cpus(). Throws config_error naming --cpus when
/// fewer than `k` CPUs are allowed.
std::vector<int> first_cpus(int k);

/// Restricts the calling thread to `cpus` (threads and processes it starts
/// afterwards inherit the mask) until destroyed, then restores its mask. An
/// empty list changes nothing. Throws std::runtime_error when the kernel
/// refuses the mask.
class cpu_restriction {
 public:
  explicit cpu_restriction(const std::vector<int>& cpus);
  ~cpu_restriction();
  cpu_restriction(const cpu_restriction&) = delete;
  cpu_restriction& operator=(const cpu_restriction&) = delete;

 private:
  std::vector<int> saved_;  // empty: nothing to restore
};

/// Pins the calling thread to `cpu`. False when the kernel refuses (the CPU is
/// not allowed, or offline).
bool pin_this_thread(int cpu) noexcept;

}  // namespace ccbench
