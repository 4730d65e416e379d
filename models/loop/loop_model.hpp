// The `loop` model: ccbench's own single-threaded coroutine event loop.
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// One event loop on the runner's thread; every closed-loop client is a
/// coroutine, io steps await loop timers, cpu and block steps run inline on the
/// loop thread unless offloaded (--offload thread: block steps via to_thread;
/// --offload process: also cpu steps, one job each, to a process_pool of
/// --offload-threads processes, or one per core).
std::unique_ptr<model> make_loop_model();

}  // namespace ccbench::models
