// The `shards` model: one event loop per core, sharing nothing (Seastar's
// shard-per-core, Node's cluster, gunicorn with uvicorn workers).
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// --threads T copies of ccbench's event loop (models/loop), each on a thread
/// of its own pinned to its own CPU (the first T this run may use, round
/// robin if fewer; a single shard is not pinned, as `loop` is not), sharing
/// nothing: each owns concurrency / T closed-loop clients (the remainder
/// spread one each over the first shards) or every T-th arrival of the
/// open-loop schedule at its intended start, its timers, its stall probe and
/// its offload pools (--offload thread: the loop's to_thread pool; --offload
/// process: also worker processes, cores / T each, at least two). Notes per
/// shard its pinned CPUs, tasks completed in the window and CPU seconds, and
/// their imbalance.
std::unique_ptr<model> make_shards_model();

}  // namespace ccbench::models
