// The seed notebook's async/await lessons (gather, create_task, TaskGroup,
// Semaphore, timeout, blocking the loop, to_thread, a process pool), run on the
// loop's own API and checked against the notebook's claims. `ccbench tour`
// reaches them through the registry (model_info::tour).
#pragma once

#include <functional>
#include <vector>

#include "harness/tour.hpp"

namespace ccbench::loop {

/// Runs the lessons one after another on the calling thread (each on a fresh
/// loop), every duration multiplied by `scale`, calling `on_lesson` (when set)
/// as each one ends. About 8 s at scale 1. A tour_lessons function.
std::vector<tour_lesson> run_tour_lessons(
    double scale, const std::function<void(const tour_lesson&)>& on_lesson = {});

}  // namespace ccbench::loop
