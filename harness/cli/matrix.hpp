// Expanding the CLI's lists (--model loop,pool --concurrency 1,64 ...) into the
// configurations to run.
#pragma once

#include <string>
#include <vector>

#include "harness/run_config.hpp"

namespace ccbench {

/// A workload as the user named it: a spec, and the scenario it came from.
struct named_workload {
  std::string spec;      ///< canonical spec
  std::string scenario;  ///< "" for --workload
};

struct matrix_spec {
  std::vector<std::string> models;
  std::vector<int> threads;  ///< empty: each model's default follows --cpus (k threads on k CPUs)
  std::vector<int> cpus;     ///< --cpus: CPU counts (a matrix over them); empty: every CPU
  std::vector<offload_mode> offloads;
  std::vector<named_workload> workloads;
  std::vector<std::uint64_t> concurrency;  ///< closed loop, unless `rates` is given
  std::vector<double> rates;               ///< open loop (tasks/s); replaces concurrency
  int offload_threads = 0;
  std::string python;  ///< --python, for the models whose traits say python
  int repetitions = 1;
  run_config base;  ///< durations, seed, stall settings
};

/// Splits "a,b,c" (empty pieces rejected, naming `flag`).
std::vector<std::string> split_list(const std::string& text, const std::string& flag);

/// Every configuration of the matrix: repetitions outermost (so drift hits every
/// model alike), then workload, concurrency, model, offload, threads. Models that
/// ignore --threads run once with 1; offload modes a model lacks are skipped for
/// it, and it is an error if that leaves a model with none. Throws config_error.
std::vector<run_config> expand(const matrix_spec& spec);

}  // namespace ccbench
