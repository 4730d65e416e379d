#include "harness/resource_usage.hpp"

#include <sys/resource.h>

#include <cstdlib>
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

std::uint64_t peak_rss_kb() noexcept {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

}  // namespace ccbench
