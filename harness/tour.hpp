// The seed notebook's async/await lessons as a model runs them (`ccbench
// tour`): what a lesson claims and what was measured. A model whose library
// can teach them provides a tour_lessons function (the registry's
// model_info::tour); the CLI runs it, prints the lessons and writes the JSON.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ccbench {

/// One lesson of the notebook and what became of it here.
struct tour_lesson {
  std::string name;   ///< e.g. "gather", "to_thread"
  std::string claim;  ///< what the notebook says, one line
  std::optional<double>
      expected_s;  ///< the time the claim predicts (scaled; for cpu_to_process the
                   ///< call's own length, which the ticking must span); none: no claim
  std::optional<double> measured_s;  ///< none: not measured
  std::optional<bool> held;          ///< none: not measured
  std::string detail;                ///< what we measured, one line
};

/// A lesson holds when its time is within this fraction of the expected one
/// (and its other checks pass).
inline constexpr double tour_tolerance = 0.15;

/// Runs the lessons one after another on the calling thread, every duration
/// multiplied by `scale`, calling `on_lesson` (when set) as each one ends.
using tour_lessons = std::vector<tour_lesson> (*)(
    double scale, const std::function<void(const tour_lesson&)>& on_lesson);

/// The same lessons in a Python interpreter (`ccbench tour --python`): runs
/// `python` on the model's tour script, every duration x `scale`. Sets
/// `interpreter` to what it said of itself ("CPython 3.11.2, GIL on").
/// Throws std::runtime_error when the interpreter fails.
using python_tour_lessons =
    std::vector<tour_lesson> (*)(const std::string& python, double scale, std::string& interpreter,
                                 const std::function<void(const tour_lesson&)>& on_lesson);

/// Seconds as the tour prints them: 1.000 s, 12.3 ms, 850 us.
std::string format_tour_seconds(double s);

}  // namespace ccbench
