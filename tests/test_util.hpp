// Small helpers shared by the GoogleTest suites.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "harness/error.hpp"
#include "harness/step_work.hpp"

namespace ccbench::testing_util {

/// The cpu steps' rounds per ns on this machine, calibrated once per test
/// binary.
inline double rounds_per_ns() {
  static const double rate = calibrate_cpu_burn(std::chrono::milliseconds(30));
  return rate;
}

/// The message of the config_error `f` throws; the test fails when it throws none.
template <class F>
std::string config_error_of(F f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no config_error was thrown";
  return "";
}

/// Entries of a /proc directory (threads in /proc/self/task, descriptors in
/// /proc/self/fd), not counting . and ..; 0 when it cannot be read.
inline std::size_t count_entries(const char* dir) {
  std::size_t n = 0;
  if (DIR* d = opendir(dir)) {
    while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

/// The threads of this process once those already joined have left
/// /proc/self/task: a joined thread's entry can linger a moment after join()
/// returns (the kernel wakes the joiner before it has finished tearing the
/// thread down). Reads until the count is the same twice 10 ms apart, for at
/// most 2 s. A thread still running stays in the count.
inline std::size_t settled_thread_count() {
  std::size_t n = count_entries("/proc/self/task");
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::size_t again = count_entries("/proc/self/task");
    if (again == n) break;
    n = again;
  }
  return n;
}

/// Processes whose parent is this process, read from /proc (zombies included:
/// a child not reaped is left behind too).
inline std::size_t child_processes() {
  std::size_t n = 0;
  const pid_t self = getpid();
  if (DIR* d = opendir("/proc")) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
      std::string text;
      std::getline(f, text);
      const std::size_t paren = text.rfind(')');
      if (paren == std::string::npos) continue;
      std::istringstream in(text.substr(paren + 2));
      char state = 0;
      long ppid = 0;
      in >> state >> ppid;
      n += ppid == self;
    }
    closedir(d);
  }
  return n;
}

}  // namespace ccbench::testing_util
