// Small helpers shared by the GoogleTest suites.
#pragma once

#include <dirent.h>

#include <cstddef>

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

}  // namespace ccbench::testing_util
