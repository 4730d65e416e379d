// The delay server a run's net steps talk to, and the connections that the
// blocking clients of the run (a pool's workers, a thread per client, offload
// threads) open on it: one per OS thread, kept for the run, closed by the
// runner when the model has returned, so that no descriptor outlives the run.
#pragma once

#include <optional>

#include "harness/net_protocol.hpp"

namespace ccbench::net {

/// The runner, before the model starts: net steps of this run go to `server`.
/// Worker processes forked afterwards inherit it.
void begin_session(const endpoint& server);
/// The runner, once the model has returned: closes every connection the
/// session's threads opened (no thread may use one any more).
void end_session() noexcept;
/// The server of the session in progress, if any. Any thread.
std::optional<endpoint> session_server();

/// Connections the session's threads hold open now (tests).
std::size_t session_connections();

}  // namespace ccbench::net
