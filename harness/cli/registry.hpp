// The one place that names every model.
#pragma once

#include <span>
#include <string_view>

#include "harness/runner.hpp"
#include "harness/tour.hpp"

namespace ccbench {

struct model_info {
  std::string_view name;
  std::string_view description;
  model_traits traits;  ///< recorded in every run of the model (run_record::traits)
  model_factory make;
  /// The seed notebook's lessons on the model's own API (`ccbench tour`);
  /// nullptr for a model without them.
  tour_lessons tour = nullptr;
};

/// Every registered model, in the order `ccbench list` prints them.
std::span<const model_info> registered_models();
/// nullptr when no model has that name.
const model_info* find_model(std::string_view name);

}  // namespace ccbench
