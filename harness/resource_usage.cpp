#include "harness/resource_usage.hpp"

#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace ccbench {
namespace {

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

}  // namespace

resource_snapshot resource_snapshot::now() noexcept {
  resource_snapshot s;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    if (getrusage(who, &ru) != 0) continue;
    s.user_s += seconds(ru.ru_utime);
    s.sys_s += seconds(ru.ru_stime);
    s.voluntary += static_cast<std::uint64_t>(ru.ru_nvcsw);
    s.involuntary += static_cast<std::uint64_t>(ru.ru_nivcsw);
  }
  return s;
}

resource_snapshot resource_snapshot::operator-(const resource_snapshot& e) const noexcept {
  return {user_s - e.user_s, sys_s - e.sys_s, voluntary - e.voluntary, involuntary - e.involuntary};
}

void reset_peak_rss() noexcept {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

namespace {
// A "Name:   123 kB" line of /proc/self/status, in KiB.
std::uint64_t status_kb(const char* name) noexcept {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(name);
  while (std::getline(f, line)) {
    if (line.compare(0, n, name) == 0) return std::strtoull(line.c_str() + n, nullptr, 10);
  }
  return 0;
}
}  // namespace

std::uint64_t peak_rss_kb() noexcept { return status_kb("VmHWM:"); }

std::uint64_t current_rss_kb() noexcept { return status_kb("VmRSS:"); }

}  // namespace ccbench
