#include "harness/net_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
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
  std::vector<int> fds;   // every blocking connection open now
  std::vector<int> idle;  // those no round trip uses now (a subset of fds)
  std::vector<time_point> opened;
};
session_state& state() {
  static session_state s;
  return s;
}

void forget(session_state& s, int fd) {
  std::lock_guard lock(s.mutex);
  s.fds.erase(std::remove(s.fds.begin(), s.fds.end(), fd), s.fds.end());
}

// A new blocking connection to the session's server, in fds (not idle).
int open_blocking(session_state& s) {
  std::optional<endpoint> server;
  {
    std::lock_guard lock(s.mutex);
    server = s.server;
  }
  if (!server) throw std::runtime_error("a net step, but no delay server is set for this run");
  const int fd = connect_blocking(*server);
  std::lock_guard lock(s.mutex);
  s.fds.push_back(fd);
  s.opened.push_back(clock::now());
  return fd;
}

}  // namespace

void begin_session(const endpoint& server) {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  s.server = server;
  s.opened.clear();
}

void end_session() noexcept {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  for (const int fd : s.fds) ::close(fd);
  s.fds.clear();
  s.idle.clear();
  s.server.reset();
}

std::optional<endpoint> session_server() {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  return s.server;
}

void open_idle_connection() {
  session_state& s = state();
  const int fd = open_blocking(s);
  std::lock_guard lock(s.mutex);
  s.idle.push_back(fd);
}

void connection_opened() noexcept { connection_opened(clock::now()); }

void connection_opened(time_point at) noexcept {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  try {
    s.opened.push_back(at);
  } catch (...) {
    // Out of memory: the count is short by one; the run goes on.
  }
}

std::vector<time_point> connections_opened() {
  session_state& s = state();
  std::lock_guard lock(s.mutex);
  return s.opened;
}

std::uint64_t open_loop_connections(double rate, nanoseconds mean_task) noexcept {
  const double l = std::max(0.0, rate * std::chrono::duration<double>(mean_task).count());
  const double in_flight = std::ceil(l + 4 * std::sqrt(l) + 4);
  if (!(in_flight >= 1)) return 1;  // NaN too
  if (in_flight >= static_cast<double>(open_loop_connections_cap)) return open_loop_connections_cap;
  return static_cast<std::uint64_t>(in_flight);
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
  int fd = -1;
  {
    std::lock_guard lock(s.mutex);
    if (!s.idle.empty()) {
      fd = s.idle.back();
      s.idle.pop_back();
    }
  }
  // None idle: a client that opened none ahead (or lost its own) opens one.
  if (fd < 0) fd = net::open_blocking(s);
  try {
    const std::uint64_t digest =
        net::round_trip_blocking(fd, {static_cast<std::uint32_t>(st.rounds),
                                      static_cast<std::uint64_t>(st.duration.count()), st.seed});
    std::lock_guard lock(s.mutex);
    s.idle.push_back(fd);
    return digest;
  } catch (...) {
    // The connection is in an unknown state: drop it; a later net step opens another.
    net::forget(s, fd);
    ::close(fd);
    throw;
  }
}

}  // namespace ccbench
