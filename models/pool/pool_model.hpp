// The `pool` model: a oneTBB thread pool where every step runs synchronously.
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// A oneTBB task_arena of exactly --threads workers (more than the cores when
/// asked: blocking work needs it) fed FIFO. A task runs start to finish on one
/// worker: io steps can only sleep there, block steps hold the worker.
std::unique_ptr<model> make_pool_model();

}  // namespace ccbench::models
