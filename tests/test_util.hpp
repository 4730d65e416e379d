// Small helpers shared by the GoogleTest suites.
#pragma once

#include <dirent.h>

#include <chrono>
#include <cstddef>
#include <thread>

namespace ccbench::testing_util {

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

}  // namespace ccbench::testing_util
