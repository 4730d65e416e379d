#include "harness/resource_usage.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
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

namespace {

// User and sys CPU seconds of `pid`, from /proc/PID/stat; false if unreadable.
bool read_process_cpu(pid_t pid, double& user_s, double& sys_s) noexcept {
  static const double tick_s = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(f, text);
  // Fields after the command name (which may hold spaces), from field 3.
  const std::size_t paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream in(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  user_s = static_cast<double>(utime) * tick_s;
  sys_s = static_cast<double>(stime) * tick_s;
  return true;
}

}  // namespace

resource_snapshot resource_snapshot::now(std::span<const pid_t> live) noexcept {
  resource_snapshot s = now();
  for (const pid_t pid : live) {
    double user_s = 0, sys_s = 0;
    if (!read_process_cpu(pid, user_s, sys_s)) continue;
    s.user_s += user_s;
    s.sys_s += sys_s;
  }
  return s;
}

double process_cpu_s(pid_t pid) noexcept {
  double user_s = 0, sys_s = 0;
  return read_process_cpu(pid, user_s, sys_s) ? user_s + sys_s : -1;
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

std::int64_t pss_kb(pid_t pid) noexcept {
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, 4, "Pss:") == 0) {
      return static_cast<std::int64_t>(std::strtoull(line.c_str() + 4, nullptr, 10));
    }
  }
  return -1;
}

std::uint64_t current_rss_kb() noexcept { return status_kb("VmRSS:"); }

}  // namespace ccbench
