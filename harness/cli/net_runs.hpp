// What the suite does for runs whose workload has net steps: checks the
// open-file limit before anything runs, starts a delay server per run (unless
// --server names one), and records what the server said of the run.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "harness/run_record.hpp"

namespace ccbench {

/// Whether the run's workload has a net step.
bool has_net_steps(const run_config& c);

/// Raises the soft open-file limit where the hard one allows, then throws
/// config_error naming both numbers when a run with net steps needs more
/// descriptors (a connection per client, or per worker) than the limit.
void check_net_limits(std::span<const run_config> runs);

/// Runs `c` with `run`: when it has net steps and no --server, with a delay
/// server started for it on loopback (server_child.hpp), stopped and reaped
/// after; then fills the record's net_server fields. Appends a warning to
/// `warnings` when the server may have been the bottleneck. A server that
/// cannot start makes a failed record naming why.
run_record run_with_server(run_config c, const std::function<run_record(const run_config&)>& run,
                           std::vector<std::string>& warnings);

}  // namespace ccbench
