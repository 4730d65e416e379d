// The delay server that `net` steps talk to (`ccbench serve`): the protocol of
// harness/net_protocol.hpp on the project's own event loop, one loop per
// thread, all accepting on one listening socket. A connection's requests are
// served one after another (clients send one and wait); a request's reply
// leaves its delay after the request arrived, while the loop serves others.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "harness/clock.hpp"
#include "harness/net_protocol.hpp"

namespace ccbench::loop {

struct delay_server_options {
  net::endpoint listen;  ///< port 0: the kernel picks one
  int threads = 1;       ///< loops, each on a thread of its own
  std::uint32_t max_reply_bytes = net::max_reply_bytes;
  nanoseconds max_delay = net::max_delay;
  /// Connections held at once; past it a new one gets a `busy` reply and is
  /// closed. 0: the open-file limit less 64 (for the server's own descriptors).
  std::int64_t max_connections = 0;
};

/// What a server did, for its report at exit.
struct delay_server_stats {
  std::uint64_t requests = 0;      ///< replies sent in full
  std::uint64_t bad_requests = 0;  ///< unparseable: the connection was closed
  std::uint64_t refused = 0;       ///< past a bound (size, delay, connection cap)
  std::uint64_t disconnects = 0;   ///< a client left mid-request or mid-reply
  std::uint64_t connections = 0;   ///< accepted in all
  double lateness_p50_us = 0, lateness_p99_us = 0, lateness_max_us = 0;
  double cpu_s = 0;  ///< user + system CPU of the server's threads since it started

  /// One line, `key=value` pairs, as `ccbench serve` prints at exit.
  std::string line() const;
  /// Parses line(); false when `text` is not one.
  static bool parse(const std::string& text, delay_server_stats& out);
};

/// Binds and listens at construction; run() serves until stop().
class delay_server {
 public:
  /// Throws std::runtime_error naming the address when it cannot listen.
  explicit delay_server(const delay_server_options& opts);
  ~delay_server();
  delay_server(const delay_server&) = delete;
  delay_server& operator=(const delay_server&) = delete;

  /// The address it listens on (the kernel's port when asked for 0).
  const net::endpoint& address() const noexcept;
  /// Serves on opts.threads loops (this thread is one of them) until stop();
  /// returns when every loop has closed its connections.
  void run();
  /// Any thread (not a signal handler): run() returns soon.
  void stop() noexcept;
  /// After run() returned.
  delay_server_stats stats() const;
  /// The connection cap in force.
  std::int64_t max_connections() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ccbench::loop
