// BM_<model>_sleepers_in_ccbench: the sleepers' load (BM_<model>_sleepers)
// run by ccbench itself, as `ccbench run -m <model> -t 1 -w io:10ms -c 10000`
// runs it: the harness's driver, records and monitor included. Beside the
// bare program of the same library in the same process, its CPU per task
// gives the ratio each model is held to (at most 1.3x: docs/models.md, "One
// client protocol"), measured in one run rather than across two programs
// started minutes apart, whose CPU per task on a shared VM drifts by more
// than the margin.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "benchmarks/micro_sizes.hpp"
#include "harness/cli/registry.hpp"
#include "harness/run_config.hpp"
#include "harness/runner.hpp"
#include "harness/step_work.hpp"

namespace {

using namespace std::chrono_literals;

void BM_sleepers_in_ccbench(benchmark::State& state, const char* model) {
  const ccbench::model_info* info = ccbench::find_model(model);
  if (info == nullptr) {
    state.SkipWithError("model not registered");
    return;
  }
  ccbench::run_config config;
  config.model = model;
  config.options.threads = 1;
  config.workload = "io:10ms";
  config.concurrency = ccbench::micro::sleepers();
  // The window of BM_<model>_sleepers beside it (sleeper_min_time()).
  using std::chrono::nanoseconds;
  const bool small = ccbench::micro::small_mode(), quick = ccbench::micro::quick_mode();
  config.warmup = small ? 0ns : quick ? nanoseconds(100ms) : nanoseconds(300ms);
  config.duration = small ? nanoseconds(50ms) : quick ? nanoseconds(300ms) : nanoseconds(1s);
  // No cpu steps run on this load; the calibration only has to be valid.
  static const double rounds_per_ns = ccbench::calibrate_cpu_burn(10ms);
  double cpu_s = 0, tasks = 0;
  for (auto _ : state) {
    const ccbench::run_record r = ccbench::run_in_process(config, info->make, rounds_per_ns);
    if (r.status != ccbench::run_status::ok || r.cpu_window_user_s < 0 || r.completed == 0) {
      state.SkipWithError(("the run did not complete: " + r.error).c_str());
      return;
    }
    cpu_s += r.cpu_window_user_s + r.cpu_window_sys_s;
    tasks += static_cast<double>(r.completed);
  }
  // What the CPU column of BM_<model>_sleepers is: CPU time per completion.
  state.counters["cpu_per_task_ns"] = cpu_s * 1e9 / tasks;
  state.counters["sleepers"] = static_cast<double>(config.concurrency);
  state.counters["tasks"] = tasks;
}

// One run per iteration: a run is long enough (a million tasks) that Google
// Benchmark's own repetition of it would only lengthen make bench.
BENCHMARK_CAPTURE(BM_sleepers_in_ccbench, loop, "loop")
    ->Name("BM_loop_sleepers_in_ccbench")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_sleepers_in_ccbench, asio, "asio")
    ->Name("BM_asio_sleepers_in_ccbench")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_sleepers_in_ccbench, fiber, "fiber")
    ->Name("BM_fiber_sleepers_in_ccbench")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
