// Built-in sweeps: named matrices sized to the machine (`ccbench sweep NAME`).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/cli/suite.hpp"

namespace ccbench {

struct sweep_info {
  std::string_view name;
  std::string_view description;
};

std::span<const sweep_info> sweeps();

/// The plan of sweep `name` for a machine with `cores` CPUs; `full` is the long
/// version (`make bench FULL=1`). Models not built into this binary are left
/// out. Throws config_error for an unknown name.
suite_plan make_sweep(std::string_view name, bool full, int cores);

}  // namespace ccbench
