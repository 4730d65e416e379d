// A results document, schema ccbench.results/1: the machine, every run and the
// repetitions' summaries. results_json.hpp reads and writes it, summary_csv.hpp
// flattens its runs, run_directory.hpp puts both in a run directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/host_context.hpp"
#include "harness/run_record.hpp"
#include "harness/statistics.hpp"

namespace ccbench {

inline constexpr std::string_view results_schema = "ccbench.results/1";

struct results {
  std::string run_id;
  host_context context;
  std::vector<run_record> runs;
  std::vector<std::string> warnings;
  std::vector<config_summary> summaries;  ///< configurations that ran more than once
};

}  // namespace ccbench
