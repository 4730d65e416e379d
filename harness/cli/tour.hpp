// `ccbench tour`: the seed notebook's async/await lessons, run on ccbench's own
// event loop, each claim printed beside what we measured.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
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

struct tour_options {
  double scale = 1.0;  ///< every duration of every lesson is multiplied by this
  std::optional<std::filesystem::path> json;
};

/// A lesson holds when its time is within this fraction of the expected one
/// (and its other checks pass).
inline constexpr double tour_tolerance = 0.15;

/// Parses --scale: a number from 0.01 to 100. Throws config_error naming `flag`.
double parse_tour_scale(const std::string& text, const std::string& flag);

/// Runs the lessons one after another on the calling thread (each on a fresh
/// loop), calling `on_lesson` as each one ends. About 8 s at scale 1.
std::vector<tour_lesson> run_tour_lessons(
    double scale, const std::function<void(const tour_lesson&)>& on_lesson = {});

/// {"scale": F, "lessons": [{"name", "claim", "expected_s", "measured_s", "held", "detail"}]};
/// what was not measured is null.
std::string tour_to_json_text(const std::vector<tour_lesson>& lessons, double scale);

/// The `ccbench tour` command: checks the --json path, runs the lessons,
/// prints each to `out` as it ends, writes the JSON. Returns the exit status:
/// 0 when every measured lesson held, 1 otherwise.
int run_tour(const tour_options& opts, std::ostream& out);

}  // namespace ccbench
