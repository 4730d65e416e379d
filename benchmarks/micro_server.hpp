// The delay server that the BM_<model>_net benchmarks talk to: on loopback at
// a port the kernel picks, on a thread of its own for the benchmark's scope.
#pragma once

#include <thread>

#include "harness/net_protocol.hpp"
#include "harness/net_session.hpp"
#include "models/loop/delay_server.hpp"

namespace ccbench::micro {

class server_thread {
 public:
  server_thread() : server_(options()), serving_([this] { server_.run(); }) {}
  ~server_thread() {
    server_.stop();
    serving_.join();
  }
  server_thread(const server_thread&) = delete;
  server_thread& operator=(const server_thread&) = delete;

  const net::endpoint& address() const noexcept { return server_.address(); }

 private:
  static loop::delay_server_options options() {
    loop::delay_server_options o;
    o.listen = net::parse_endpoint("127.0.0.1:0", "server", true);
    return o;
  }
  loop::delay_server server_;
  std::thread serving_;
};

/// The run's net session (the connections a pool's or procs' workers use)
/// against `server`, for a benchmark's scope; declared after the server, so
/// that it ends first.
class net_session {
 public:
  explicit net_session(const server_thread& server) { net::begin_session(server.address()); }
  ~net_session() { net::end_session(); }
  net_session(const net_session&) = delete;
  net_session& operator=(const net_session&) = delete;
};

}  // namespace ccbench::micro
