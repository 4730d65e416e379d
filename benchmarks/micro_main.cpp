// ccbench-micro: Google Benchmark's main, plus the context every result needs.
#include <benchmark/benchmark.h>

#include <oneapi/tbb/version.h>
#include <boost/version.hpp>

#include <string>
#include <thread>

#include "benchmarks/micro_sizes.hpp"
#include "harness/step_work.hpp"

int main(int argc, char** argv) {
  // Timer slack is per thread, and the loop sets 1 ns on the thread it runs on;
  // setting it here first gives every model's 1 ms timer the same slack,
  // whatever order the benchmarks run in.
  ccbench::set_precise_timer_slack();
  // glibc and libstdc++ skip the atomic instructions of mutexes and shared
  // counts while a process has never had a second thread; a ccbench run always
  // has one (its monitor), and so does any real service. Without this, a
  // benchmark would price Asio's timer mutex at a third of its cost when run
  // alone (--benchmark_filter) and at its full cost after any benchmark that
  // started a thread: the same code, two numbers, decided by the filter.
  std::thread([] {}).join();
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
