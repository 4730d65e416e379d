// --cpus: a run restricted to the first k CPUs it may use, by affinity,
// before its model starts; a model's default --threads follows k.
#include <gtest/gtest.h>
#include <sched.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/cli/matrix.hpp"
#include "harness/cli/registry.hpp"
#include "harness/cpu_set.hpp"
#include "harness/error.hpp"
#include "harness/runner.hpp"
#include "harness/step_work.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

int allowed_here() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
}

// Notes the CPUs its own thread, and a thread it starts, may use.
class affinity_model final : public model {
  void do_run(model_context& ctx) override {
    ctx.note("cpus_here", static_cast<double>(allowed_here()));
    int there = -1;
    std::thread([&there] { there = allowed_here(); }).join();
    ctx.note("cpus_in_a_thread", static_cast<double>(there));
  }
};

double fact(const run_record& r, const std::string& key) {
  for (const model_fact& f : r.model_facts) {
    if (f.key == key) return std::get<double>(f.value);
  }
  return -1;
}

run_config short_run(const std::string& model, int cpus) {
  run_config c;
  c.model = model;
  c.cpus = cpus;
  c.workload = "io:1ms";
  c.concurrency = 2;
  c.warmup = 20ms;
  c.duration = 100ms;
  c.timeout = 10s;
  return c;
}

TEST(Cpus, FormatsListsAsTheKernelDoes) {
  EXPECT_EQ(format_cpu_list({0}), "0");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 6}), "0-3,6");
  EXPECT_EQ(format_cpu_list({1, 3, 4}), "1,3-4");
  EXPECT_EQ(format_cpu_list({}), "");
}

TEST(Cpus, FirstKOfTheAllowedOnes) {
  const std::vector<int> all = allowed_cpus();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(first_cpus(1), std::vector<int>{all[0]});
  EXPECT_EQ(first_cpus(static_cast<int>(all.size())), all);
  EXPECT_THROW(first_cpus(static_cast<int>(all.size()) + 1), config_error);
  EXPECT_THROW(first_cpus(0), config_error);
}

TEST(Cpus, TheRunAndTheThreadsItStartsKeepToTheFirstK) {
  const int before = allowed_here();
  const auto make = []() -> std::unique_ptr<model> { return std::make_unique<affinity_model>(); };
  const run_record r = run_in_process(short_run("loop", 1), make, 1.0);
  EXPECT_EQ(fact(r, "cpus_here"), 1);
  EXPECT_EQ(fact(r, "cpus_in_a_thread"), 1);
  EXPECT_EQ(r.cpu_set, format_cpu_list({allowed_cpus()[0]}));
  // --in-process: the suite's thread gets its mask back.
  EXPECT_EQ(allowed_here(), before);

  const run_record all = run_in_process(short_run("loop", 0), make, 1.0);
  EXPECT_EQ(fact(all, "cpus_here"), before);
  EXPECT_EQ(all.cpu_set, format_cpu_list(allowed_cpus()));
}

// A cpu-bound pool of two on one CPU runs at about one core: its window's CPU
// is at most one CPU-second a second (plus the ticks' rounding), and it still
// completes its tasks.
TEST(Cpus, APoolOfTwoOnOneCpuRunsAtOneCore) {
  run_config c = short_run("pool", 1);
  c.options.threads = 2;
  c.workload = "cpu:1ms";
  c.concurrency = 8;
  c.duration = 400ms;
  const run_record r = run_in_process(c, find_model("pool")->make, calibrate_cpu_burn(20ms));
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  ASSERT_GT(r.completed, 0u);
  const double cores = (r.cpu_window_user_s + r.cpu_window_sys_s) / r.window_s;
  EXPECT_LE(cores, 1.15) << "a pool of 2 on --cpus 1 used " << cores << " cores";
  // About a task a millisecond at best: never the two a millisecond two cores give.
  EXPECT_LE(r.throughput_per_s, 1250) << r.throughput_per_s;
}

TEST(Cpus, ThreadsFollowTheCpuCountUnlessGiven) {
  matrix_spec m;
  m.models = {"pool", "loop"};
  m.offloads = {offload_mode::none};
  m.workloads = {{"cpu:1ms", ""}};
  m.concurrency = {8};
  m.cpus = {1, 2};
  std::vector<std::pair<int, int>> got;  // (cpus, threads) per config
  for (const run_config& c : expand(m)) got.emplace_back(c.cpus, c.options.threads);
  // Per model, each cpu count: pool with k threads, loop with its one.
  EXPECT_EQ(got, (std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {1, 1}, {2, 1}}));

  m.threads = {2};
  got.clear();
  for (const run_config& c : expand(m)) got.emplace_back(c.cpus, c.options.threads);
  EXPECT_EQ(got, (std::vector<std::pair<int, int>>{{1, 2}, {2, 2}, {1, 1}, {2, 1}}));
}

}  // namespace
}  // namespace ccbench
