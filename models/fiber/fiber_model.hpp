// The `fiber` model: Boost.Fiber user-space threads.
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// Every closed-loop client is a fiber. One thread (--threads 1) runs Boost's
/// round_robin scheduler on the runner's thread; --threads T > 1 shares the
/// fibers across T threads with shared_work, plus a wake-up for idle threads
/// (see models/fiber/NOTES.md). io steps are fiber sleeps; cpu and block steps
/// run inline on the scheduler thread, unless --offload thread sends block
/// steps to a thread pool that the fiber waits on through a fiber future.
std::unique_ptr<model> make_fiber_model();

}  // namespace ccbench::models
