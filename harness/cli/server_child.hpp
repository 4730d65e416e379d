// The delay server the suite starts for a run whose workload has net steps: a
// child process on 127.0.0.1 at a port the kernel picks, stopped and reaped
// after the run, with its report (requests, lateness) and its CPU.
#pragma once

#include <sys/types.h>

#include <string>

namespace ccbench {

/// What the server said of the run when it stopped.
struct server_child_report {
  bool ok = false;
  std::string error;  ///< why there is no report (!ok)
  double requests = 0, refused = 0, bad_requests = 0, disconnects = 0;
  double lateness_p99_us = 0, lateness_max_us = 0;
  double cpu_s = 0;  ///< user + sys of the child, from wait4()
};

class server_child {
 public:
  /// Forks the server (call only while this process has a single thread)
  /// and waits for its address. Throws std::runtime_error when it cannot start.
  explicit server_child(int threads = 1);
  /// Stops it if stop() was not called.
  ~server_child();
  server_child(const server_child&) = delete;
  server_child& operator=(const server_child&) = delete;

  /// "127.0.0.1:PORT".
  const std::string& address() const noexcept { return address_; }
  /// Its process id.
  pid_t pid() const noexcept { return pid_; }
  /// Stops the server, reads its report and reaps it.
  server_child_report stop();

 private:
  pid_t pid_ = -1;
  int stop_fd_ = -1;    // closing it tells the server to stop
  int report_fd_ = -1;  // the server's address line, then its report line
  std::string address_;
  std::string pending_;  // read past the address line
};

}  // namespace ccbench
