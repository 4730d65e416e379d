// Built-in sweeps: named matrices sized to the machine (`ccbench sweep NAME`).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/run_config.hpp"

namespace ccbench {

struct sweep_info {
  std::string_view name;
  std::string_view description;
};

std::span<const sweep_info> sweeps();

/// The configurations of sweep `name` for a machine with `cores` CPUs; `full`
/// is the long version (`make bench FULL=1`). Throws config_error for an
/// unknown name.
std::vector<run_config> make_sweep(std::string_view name, bool full, int cores);

}  // namespace ccbench
