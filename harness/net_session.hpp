// The delay server a run's net steps talk to, the connections that the
// blocking clients of the run (a pool's workers, a thread per client) take
// from the session's pool of idle ones for a round trip, and the count of
// every connection any model opens to it, stamped, so that the runner can
// show they were opened before the window. The runner closes the session's
// connections when the model has returned: no descriptor outlives the run.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "harness/clock.hpp"
#include "harness/net_protocol.hpp"

namespace ccbench::net {

/// The runner, before the model starts: net steps of this run go to `server`.
/// Worker processes forked afterwards inherit it.
void begin_session(const endpoint& server);
/// The runner, once the model has returned: closes every connection the
/// session's blocking clients opened (no thread may use one any more).
void end_session() noexcept;
/// The server of the session in progress, if any. Any thread.
std::optional<endpoint> session_server();

/// Opens a blocking connection to the session's server and adds it to the
/// session's idle ones, which net_round_trip_here() takes from: how a model
/// whose steps run on OS threads opens its connections before the window.
/// Throws std::runtime_error naming the address when it cannot. Any thread.
void open_idle_connection();

/// Any model, any thread: a connection to the session's server has just been
/// opened (counted and stamped now; see connections_opened()).
void connection_opened() noexcept;
/// The same, opened at `at` (a stamp another process took on CLOCK_MONOTONIC).
void connection_opened(time_point at) noexcept;
/// When each connection of the session was opened, in no order (the runner).
std::vector<time_point> connections_opened();

/// Connections an open loop opens before its window: the tasks in flight at
/// `rate` per second (Little's law: L = the rate times a task's mean time),
/// with room for the bursts of Poisson arrivals (L + 4 sqrt(L) + 4, rounded
/// up; at most open_loop_connections_cap). Arrivals past them open more
/// (counted in net_server.connections_after_start).
inline constexpr std::uint64_t open_loop_connections_cap = 10'000;
std::uint64_t open_loop_connections(double rate, nanoseconds mean_task) noexcept;

/// Connections the session's blocking clients hold open now (tests).
std::size_t session_connections();

}  // namespace ccbench::net
