// Errors and invariants shared by the harness and the models.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace ccbench {

/// A mistake in what the user gave us: a flag, a workload spec, a results file.
/// The message names the input and says what to fix. Only main() catches it; it
/// prints "ccbench: <message>" and exits with status 2.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Results could not be written once runs had started (a full disk, a removed
/// directory): the input was fine, the measurements may be lost. The message
/// names the file and the reason. Only main() catches it; it prints
/// "ccbench: <message>" and exits with status 4.
class io_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ccbench

/// Invariant check: prints file:line and aborts in debug builds; compiled out in Release.
#ifdef NDEBUG
#define CCBENCH_ASSERT(cond) ((void)0)
#else
#define CCBENCH_ASSERT(cond)                                                                   \
  ((cond) ? (void)0                                                                            \
          : (std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond), \
             std::abort()))
#endif
