// The `threads` model: a thread per client, the classic thread-per-request server.
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// An OS thread for every closed-loop client (and for every open-loop
/// arrival), each running its tasks synchronously: io steps sleep, block steps
/// block, and the kernel's scheduler does the rest. The probe is a thread of
/// its own, so its lateness is the kernel's scheduling lag.
std::unique_ptr<model> make_threads_model();

}  // namespace ccbench::models
