// The Python models (asyncio, uvloop): what the conformance suite does not
// cover. The interpreter is recorded, its death mid-run is a failed run that
// leaves nothing behind, a missing uvloop is a failed run that says so, and
// an open loop's arrivals are all accounted for.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "harness/cli/registry.hpp"
#include "harness/run_record.hpp"
#include "harness/runner.hpp"
#include "harness/step_work.hpp"
#include "tests/test_util.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;
using testing_util::child_processes;
using testing_util::count_entries;

using testing_util::rounds_per_ns;

run_config config(const std::string& model, const std::string& spec, std::uint64_t c = 8) {
  run_config r;
  r.model = model;
  r.options.python = "/usr/bin/python3";
  r.workload = spec;
  r.concurrency = c;
  r.warmup = 50ms;
  r.duration = 300ms;
  r.timeout = 20s;
  return r;
}

run_record run(const run_config& c) {
  return run_in_process(c, find_model(c.model)->make, rounds_per_ns());
}

std::string helper(const char* name) {
  return std::string(CCBENCH_SOURCE_DIR) + "/tests/python/" + name;
}

const model_fact* fact(const run_record& r, const std::string& key) {
  for (const model_fact& f : r.model_facts) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

TEST(PythonModels, RegisteredWithTheirTraits) {
  for (const char* name : {"asyncio", "uvloop"}) {
    const model_info* m = find_model(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_TRUE(m->traits.python);
    EXPECT_TRUE(m->traits.cooperative);
    EXPECT_FALSE(m->traits.uses_threads);
    EXPECT_TRUE(m->traits.offload_thread && m->traits.offload_process);
  }
  EXPECT_FALSE(find_model("loop")->traits.python);
}

TEST(PythonModels, RecordTheInterpreterItsVersionAndItsGil) {
  const run_record r = run(config("asyncio", "io:1ms,cpu:100us"));
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_GT(r.completed, 50u);
  EXPECT_EQ(r.config.options.python, "/usr/bin/python3");
  const model_fact* version = fact(r, "python_version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(std::get<std::string>(version->value).substr(0, 2), "3.");
  const model_fact* gil = fact(r, "python_gil");
  ASSERT_NE(gil, nullptr);
  EXPECT_EQ(std::get<double>(gil->value), 1.0) << "Debian's CPython has the GIL";
  // The window's CPU and memory are the interpreter's too.
  EXPECT_GT(r.cpu_window_user_s + r.cpu_window_sys_s, 0.0);
  EXPECT_GT(r.workers_pss_kb, 1000);
  const model_fact* rss = fact(r, "python_rss_peak_kb");
  ASSERT_NE(rss, nullptr);
  EXPECT_GT(std::get<double>(rss->value), 1000.0);
}

TEST(PythonModels, AnOpenLoopAccountsForEveryArrival) {
  run_config c = config("uvloop", "io:2ms,cpu:50us");
  c.arrival = arrival_kind::open;
  c.rate = 1000;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  // 300 arrivals due in the window; Poisson and a loaded machine: generous.
  EXPECT_GT(r.completed, 200u);
  EXPECT_LT(r.completed, 400u);
  EXPECT_GE(r.generator_lag_ms, 0.0);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_GE(r.latency.min, 2000.0);
}

// Ten thousand clients stream about as fast as the interpreter can: the
// harness's socket buffer fills, and on uvloop (which makes the descriptor
// non-blocking) a write meets EAGAIN mid-message. The stream must stay whole.
TEST(PythonModels, AHeavyStreamStaysWholeOnBothLoops) {
  for (const char* model : {"uvloop", "asyncio"}) {
    run_config c = config(model, "io:10ms", 10000);
    c.warmup = 100ms;
    const run_record r = run(c);
    EXPECT_EQ(r.status, run_status::ok) << model << ": " << r.error;
    EXPECT_EQ(r.errors, 0u) << model;
    EXPECT_GT(r.completed, 1000u) << model;
  }
}

TEST(PythonModels, AnInterpreterDyingMidRunFailsTheRunAndLeavesNothing) {
  const std::size_t fds_before = count_entries("/proc/self/fd");
  run_config c = config("asyncio", "io:1ms");
  c.options.python = helper("dying_python");
  const run_record r = run(c);
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_NE(r.error.find("died mid-run"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("SIGKILL"), std::string::npos) << r.error;
  EXPECT_EQ(child_processes(), 0u) << "the interpreter was not reaped";
  EXPECT_EQ(count_entries("/proc/self/fd"), fds_before) << "descriptors leaked";
}

TEST(PythonModels, AMissingUvloopIsAFailedRunThatSaysSo) {
  run_config c = config("uvloop", "io:1ms");
  c.options.python = helper("no_site_python");
  const run_record r = run(c);
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_NE(r.error.find("uvloop is not installed"), std::string::npos) << r.error;
  EXPECT_EQ(child_processes(), 0u);
  // asyncio itself still runs there.
  c.model = "asyncio";
  const run_record a = run(c);
  EXPECT_EQ(a.status, run_status::ok) << a.error;
}

TEST(PythonModels, AnInterpreterThatCannotRunIsAFailedRun) {
  run_config c = config("asyncio", "io:1ms");
  c.options.python = "/bin/false";
  const run_record r = run(c);
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_NE(r.error.find("ended before it said hello"), std::string::npos) << r.error;
  EXPECT_EQ(child_processes(), 0u);
}

}  // namespace
}  // namespace ccbench
