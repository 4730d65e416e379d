// Shards that did unequal work: a model of several schedulers sharing nothing
// (shards) notes `shard_imbalance`, (max - min) / mean of the tasks each
// completed in the window; over 10% the run is warned about.
#pragma once

#include <string>
#include <vector>

namespace ccbench {

struct run_record;

inline constexpr double shard_imbalance_warning = 0.10;

/// A warning for each run whose shards were unbalanced by more than 10%.
std::vector<std::string> shard_balance_warnings(const std::vector<run_record>& runs);

}  // namespace ccbench
