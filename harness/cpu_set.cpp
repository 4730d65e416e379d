#include "harness/cpu_set.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "harness/error.hpp"

namespace ccbench {
namespace {

// A mask as large as the kernel may have CPUs (CPU_SETSIZE is 1024).
bool set_mask(const std::vector<int>& cpus) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int c : cpus) {
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  }
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

}  // namespace

std::vector<int> allowed_cpus() {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) out.push_back(c);
    }
  }
  if (out.empty()) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < (n > 0 ? n : 1); ++c) out.push_back(c);
  }
  return out;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int> first_cpus(int k) {
  std::vector<int> all = allowed_cpus();
  if (k < 1 || static_cast<std::size_t>(k) > all.size()) {
    throw config_error("--cpus '" + std::to_string(k) + "': this process may use " +
                       std::to_string(all.size()) + " CPUs (" + format_cpu_list(all) +
                       "); give counts from 1 to " + std::to_string(all.size()));
  }
  all.resize(static_cast<std::size_t>(k));
  return all;
}

cpu_restriction::cpu_restriction(const std::vector<int>& cpus) {
  if (cpus.empty()) return;
  std::vector<int> before = allowed_cpus();
  if (!set_mask(cpus)) {
    throw std::runtime_error("cannot restrict the run to CPUs " + format_cpu_list(cpus) + ": " +
                             std::strerror(errno));
  }
  saved_ = std::move(before);
}

cpu_restriction::~cpu_restriction() {
  if (!saved_.empty()) set_mask(saved_);
}

bool pin_this_thread(int cpu) noexcept {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

}  // namespace ccbench
