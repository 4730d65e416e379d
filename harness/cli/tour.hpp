// `ccbench tour`: the seed notebook's async/await lessons, run by the model
// that has them (the registry's model_info::tour), each claim printed beside
// what we measured.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "harness/tour.hpp"

namespace ccbench {

struct tour_options {
  double scale = 1.0;  ///< every duration of every lesson is multiplied by this
  std::optional<std::filesystem::path> json;
  /// --python: also run the lessons in this interpreter (asyncio), side by side.
  std::optional<std::string> python;
};

/// Parses --scale: a number from 0.01 to 100. Throws config_error naming `flag`.
double parse_tour_scale(const std::string& text, const std::string& flag);

/// {"scale": F, "lessons": [{"name", "claim", "expected_s", "measured_s", "held", "detail"}]};
/// what was not measured is null.
/// With --python also "python": {"interpreter", "lessons": [...]}.
std::string tour_to_json_text(const std::vector<tour_lesson>& lessons, double scale,
                              const std::vector<tour_lesson>* python_lessons = nullptr,
                              const std::string& interpreter = "");

/// The `ccbench tour` command: checks the --json path, runs the lessons of the
/// first registered model with a tour (config_error when none has one),
/// prints each to `out` as it ends, writes the JSON. Returns the exit status:
/// 0 when every measured lesson held, 1 otherwise.
int run_tour(const tour_options& opts, std::ostream& out);

}  // namespace ccbench
