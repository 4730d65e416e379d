#include "harness/tour.hpp"

#include <cstdio>

namespace ccbench {

std::string format_tour_seconds(double s) {
  char buf[32];
  if (s >= 0.1) {
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  } else if (s >= 0.001) {
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f us", s * 1e6);
  }
  return buf;
}

}  // namespace ccbench
