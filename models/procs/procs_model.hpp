// The `procs` model: pre-forked worker processes where every step runs synchronously.
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// A process_pool of --threads worker processes fed FIFO over sockets by one
/// dispatcher thread. A task runs start to finish in one worker: io steps can
/// only sleep there, block steps hold the worker. A worker that dies fails its
/// task and is replaced.
std::unique_ptr<model> make_procs_model();

}  // namespace ccbench::models
