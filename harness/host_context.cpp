#include "harness/host_context.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "harness/clock.hpp"

#ifndef CCBENCH_BUILD_TYPE
#define CCBENCH_BUILD_TYPE "unknown"
#endif
#ifndef CCBENCH_CXX_FLAGS
#define CCBENCH_CXX_FLAGS ""
#endif
#ifndef CCBENCH_BOOST_VERSION
#define CCBENCH_BOOST_VERSION ""
#endif
#ifndef CCBENCH_TBB_VERSION
#define CCBENCH_TBB_VERSION ""
#endif
#ifndef CCBENCH_VERSION
#define CCBENCH_VERSION ""
#endif

namespace ccbench {

// Defined in the generated git_revision.cpp (regenerated on every build).
extern const char* const git_revision;

namespace {

std::string first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return {};
}

std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

double cpu_busy_fraction(std::chrono::milliseconds window) {
  // First line of /proc/stat: cpu user nice system idle iowait irq softirq steal ...
  auto read = [](double& busy, double& total) {
    std::ifstream f("/proc/stat");
    std::string cpu;
    f >> cpu;
    if (cpu != "cpu") return false;
    busy = total = 0;
    for (int i = 0; i < 8; ++i) {
      double v = 0;
      if (!(f >> v)) return false;
      total += v;
      if (i != 3 && i != 4) busy += v;  // not idle, not iowait
    }
    return true;
  };
  double b0, t0, b1, t1;
  if (!read(b0, t0)) return -1;
  std::this_thread::sleep_for(window);
  if (!read(b1, t1) || t1 <= t0) return -1;
  return (b1 - b0) / (t1 - t0);
}

double load_average_1m() {
  double load[1];
  return getloadavg(load, 1) == 1 ? load[0] : -1.0;
}

host_context collect_host_context() {
  host_context c;
  utsname u{};
  if (uname(&u) == 0) {
    c.host = u.nodename;
    c.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  }
  c.cpu_model = cpu_model_name();
  c.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t set;
  CPU_ZERO(&set);
  c.affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : c.cores;
  c.compiler = std::string("g++ ") + __VERSION__;
#ifdef __clang__
  c.compiler = std::string("clang ") + __clang_version__;
#endif
  c.build_type = CCBENCH_BUILD_TYPE;
  c.cxx_flags = CCBENCH_CXX_FLAGS;
  c.boost = CCBENCH_BOOST_VERSION;
  c.tbb = CCBENCH_TBB_VERSION;
  c.git = git_revision;
  c.ccbench_version = CCBENCH_VERSION;
  c.started_at = utc_now_iso();
  c.governor = first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  c.clock = std::string(clock::source());
  if (const std::string no_turbo = first_line("/sys/devices/system/cpu/intel_pstate/no_turbo");
      !no_turbo.empty()) {
    c.turbo = no_turbo == "0" ? "on" : "off";
  } else if (const std::string boost = first_line("/sys/devices/system/cpu/cpufreq/boost");
             !boost.empty()) {
    c.turbo = boost == "1" ? "on" : "off";
  }
  c.load_avg_start = load_average_1m();
  c.busy_start = cpu_busy_fraction(std::chrono::milliseconds(250));
  return c;
}

std::vector<std::string> host_warnings(const host_context& c) {
  std::vector<std::string> w;
  if (c.build_type != "Release") {
    w.push_back("this is a " + c.build_type +
                " build: numbers are not representative; use `make bench` (Release)");
  }
  if (!c.governor.empty() && c.governor != "performance") {
    w.push_back("CPU frequency governor is '" + c.governor +
                "': clock speed varies between runs; for stable numbers set it to "
                "'performance' (cpupower frequency-set -g performance)");
  }
  if (c.turbo == "on") {
    w.push_back(
        "turbo boost is on: the clock speed depends on temperature and on how many cores are "
        "busy, which favours single-threaded models in short runs; for stable numbers turn it "
        "off (echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo)");
  }
  if (c.busy_start > 0.2) {
    char buf[220];
    std::snprintf(buf, sizeof buf,
                  "the machine was busy before the runs (%.0f%% of %d CPUs in use by other "
                  "processes): they compete with the models; rerun on a quiet machine",
                  100 * c.busy_start, c.cores);
    w.push_back(buf);
  }
  if (c.affinity > 0 && c.affinity < c.cores) {
    w.push_back("this process may use " + std::to_string(c.affinity) + " of " +
                std::to_string(c.cores) + " CPUs (affinity mask); thread counts scale to " +
                std::to_string(c.affinity));
  }
  return w;
}

}  // namespace ccbench
