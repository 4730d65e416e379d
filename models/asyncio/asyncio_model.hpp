// The `asyncio` and `uvloop` models: CPython's event loop, and uvloop, in a
// Python process that the run starts and drives (ccbench_asyncio.py).
#pragma once

#include <memory>

#include "harness/model.hpp"
#include "harness/tour.hpp"

namespace ccbench::models {

/// The workload run by asyncio's default event loop in the interpreter given
/// by --python: io steps `await asyncio.sleep`, cpu steps pure-Python
/// arithmetic calibrated in that interpreter, block steps `time.sleep` on the
/// loop; --offload thread is `asyncio.to_thread`, --offload process
/// `run_in_executor` on a ProcessPoolExecutor. The harness hands it the plan
/// and the steps and replays its stamps (harness/foreign_run.hpp).
std::unique_ptr<model> make_asyncio_model();
/// The same on uvloop's loop; a failed run (not a crash) where the
/// interpreter has no uvloop module.
std::unique_ptr<model> make_uvloop_model();

/// The seed notebook's lessons in asyncio (ccbench_tour.py) in `python`, and
/// one lesson the C++ loop cannot show: the GIL (harness/tour.hpp).
std::vector<tour_lesson> run_python_tour_lessons(
    const std::string& python, double scale, std::string& interpreter,
    const std::function<void(const tour_lesson&)>& on_lesson);

}  // namespace ccbench::models
