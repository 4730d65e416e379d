// The one place that names every model.
#pragma once

#include <functional>
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
  /// The same lessons in a Python interpreter (`ccbench tour --python`);
  /// nullptr for a model without them.
  python_tour_lessons python_tour = nullptr;
};

/// Every registered model, in the order `ccbench list` prints them.
std::span<const model_info> registered_models();
/// nullptr when no model has that name.
const model_info* find_model(std::string_view name);
/// The first registered model whose traits `fit`; nullptr when none does.
const model_info* first_model(const std::function<bool(const model_traits&)>& fits);
/// The model `ccbench run` runs when --model is not given.
const model_info& default_model();

}  // namespace ccbench
