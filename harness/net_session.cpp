#include "harness/net_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "harness/step_work.hpp"

namespace ccbench::net {
namespace {

// One session at a time in a process: the runner runs one model at a time.
struct session_state {
  std::mutex mutex;
  std::optional<endpoint> server;
  // Changes with every session: a thread's older connection is stale.
  std::atomic<std::uint64_t> generation{0};
  std::vector<int> fds;
};
session_state& state() {
  static session_state s;
  return s;
}

// This thread's connection, valid while `generation` is the session's.
struct thread_connection {
  std::uint64_t generation = 0;
  int fd = -1;
};
thread_local thread_connection here;

void forget(session_state& s, int fd) {
  std::lock_guard lock(s.mutex);
  s.fds.erase(std::remove(s.fds.begin(), s.fds.end(), fd), s.fds.end());
}

}  // namespace

void begin_session(const endpoint& server) {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  s.server = server;
  ++s.generation;
}

void end_session() noexcept {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  for (const int fd : s.fds) ::close(fd);
  s.fds.clear();
  s.server.reset();
  ++s.generation;
}

std::optional<endpoint> session_server() {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  return s.server;
}

std::size_t session_connections() {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  return s.fds.size();
}

}  // namespace ccbench::net

namespace ccbench {

std::uint64_t net_round_trip_here(const step& st) {
  net::session_state& s = net::state();
  while (net::here.fd < 0 || net::here.generation != s.generation.load(std::memory_order_acquire)) {
    std::optional<net::endpoint> server;
    std::uint64_t generation;
    {
      std::lock_guard lock(s.mutex);
      server = s.server;
      generation = s.generation.load(std::memory_order_relaxed);
    }
    if (!server) throw std::runtime_error("a net step, but no delay server is set for this run");
    const int fd = net::connect_blocking(*server);
    std::lock_guard lock(s.mutex);
    if (generation != s.generation.load(std::memory_order_relaxed)) {
      ::close(fd);  // the session ended meanwhile: look again
      continue;
    }
    s.fds.push_back(fd);
    net::here = {generation, fd};
  }
  try {
    return net::round_trip_blocking(net::here.fd,
                                    {static_cast<std::uint32_t>(st.rounds),
                                     static_cast<std::uint64_t>(st.duration.count()), st.seed});
  } catch (...) {
    // The connection is in an unknown state: drop it; the next net step reconnects.
    net::forget(s, net::here.fd);
    ::close(net::here.fd);
    net::here.fd = -1;
    throw;
  }
}

}  // namespace ccbench
