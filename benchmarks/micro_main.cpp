// ccbench-micro: Google Benchmark's main, plus the context every result needs.
#include <benchmark/benchmark.h>

#include <oneapi/tbb/version.h>
#include <boost/version.hpp>

#include <string>

#include "benchmarks/micro_sizes.hpp"
#include "harness/step_work.hpp"

int main(int argc, char** argv) {
  // Timer slack is per thread, and the loop sets 1 ns on the thread it runs on;
  // setting it here first gives every model's 1 ms timer the same slack,
  // whatever order the benchmarks run in.
  ccbench::set_precise_timer_slack();
  benchmark::AddCustomContext("boost", BOOST_LIB_VERSION);
  benchmark::AddCustomContext("tbb", TBB_VERSION_STRING);
  benchmark::AddCustomContext("ccbench_micro_small",
                              ccbench::micro::small_mode() ? "1 (sizes shrunk: not results)" : "0");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
