// `ccbench serve`: the delay server that net steps talk to, in the foreground.
#pragma once

#include <string>

namespace ccbench {

struct serve_options {
  std::string listen = "127.0.0.1:0";  ///< --listen ADDR:PORT (port 0: the kernel picks)
  int threads = 1;                     ///< --threads: loops
  bool quiet = false;                  ///< no report at exit
};

/// Raises the soft open-file limit to the hard one where it is lower. Returns
/// the soft limit in force after.
long raise_open_file_limit() noexcept;

/// Listens (throws config_error for a malformed --listen), prints its address
/// on one line of stdout, serves until SIGTERM or SIGINT, then prints its
/// report (requests, refusals, lateness, CPU) on stderr. Returns the exit status.
int run_serve(const serve_options& opts);

}  // namespace ccbench
