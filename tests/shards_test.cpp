// The shards model: its threads pinned as asked, the load shared out, its
// facts per shard; and the driver's load_share arithmetic.
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/cpu_set.hpp"
#include "harness/driver.hpp"
#include "harness/runner.hpp"
#include "harness/statistics.hpp"
#include "harness/step_work.hpp"
#include "tests/test_util.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

using testing_util::rounds_per_ns;

const model_fact* fact(const run_record& r, const std::string& key) {
  for (const model_fact& f : r.model_facts) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

run_config shards_run(int threads, int cpus = 0) {
  run_config c;
  c.model = "shards";
  c.options.threads = threads;
  c.cpus = cpus;
  c.workload = "io:1ms";
  c.concurrency = 7;  // 4 + 3 on two shards
  c.warmup = 50ms;
  c.duration = 300ms;
  c.timeout = 20s;
  return c;
}

run_record run(const run_config& c) {
  return run_in_process(c, find_model("shards")->make, rounds_per_ns());
}

TEST(LoadShare, SpreadsTheRemainderOverTheFirstShares) {
  EXPECT_EQ((load_share{0, 1}).clients(7), 7u);
  EXPECT_EQ((load_share{0, 2}).clients(7), 4u);
  EXPECT_EQ((load_share{1, 2}).clients(7), 3u);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < 4; ++i) total += load_share{i, 4}.clients(10);
  EXPECT_EQ(total, 10u);
  EXPECT_EQ((load_share{3, 4}).clients(2), 0u);
}

// Each shard's thread runs on the CPU it was given, the i-th the run may use.
TEST(Shards, EachThreadIsPinnedToItsOwnCpu) {
  const std::vector<int> cpus = allowed_cpus();
  const int n = 2;
  const run_record r = run(shards_run(n));
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  const model_fact* pinned = fact(r, "shard_cpus");
  ASSERT_NE(pinned, nullptr);
  const std::vector<std::string> got = words(std::get<std::string>(pinned->value));
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], std::to_string(cpus[i % cpus.size()])) << "shard " << i;
  }
}

// Under --cpus 1 every shard keeps to that one CPU.
TEST(Shards, KeepToTheCpusOfTheRun) {
  const run_record r = run(shards_run(2, 1));
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  const std::string first = std::to_string(allowed_cpus()[0]);
  EXPECT_EQ(std::get<std::string>(fact(r, "shard_cpus")->value), first + " " + first);
}

// The shards' completions add up to the run's, and each did its share.
TEST(Shards, ShareTheLoadAndAccountForIt) {
  // Waits long enough that a shard's clients, not its core's CPU, set its
  // pace, even when another process holds the core it is pinned to; and a
  // probe period of 10 ms, so that one probe cannot wake 35 times.
  run_config c = shards_run(2);
  c.workload = "io:20ms";
  c.stall_period = std::chrono::milliseconds(10);
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(r.errors, 0u);
  const std::vector<std::string> done =
      words(std::get<std::string>(fact(r, "shard_completed")->value));
  ASSERT_EQ(done.size(), 2u);
  std::uint64_t sum = 0;
  for (const std::string& d : done) {
    EXPECT_GT(std::stoull(d), 0u);
    sum += std::stoull(d);
  }
  EXPECT_EQ(sum, r.completed);
  // 4 and 3 clients of io:20ms: about 60 and 45 tasks in 300 ms.
  const double ratio = static_cast<double>(std::stoull(done[0])) / std::stoull(done[1]);
  EXPECT_NEAR(ratio, 4.0 / 3.0, 0.35);
  EXPECT_EQ(words(std::get<std::string>(fact(r, "shard_cpu_s")->value)).size(), 2u);
  EXPECT_EQ(std::get<double>(fact(r, "shards")->value), 2);
  // Each shard's probe woke its own loop: about 30 wake-ups each, where one
  // probe alone has at most 30.
  EXPECT_GT(r.stall.samples, 35u);
}

// An open-loop schedule split over the shards: every arrival ran once.
TEST(Shards, SplitTheOpenLoopSchedule) {
  run_config c = shards_run(3);
  c.arrival = arrival_kind::open;
  c.rate = 600;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(r.errors, 0u);
  EXPECT_NEAR(r.throughput_per_s, 600, 150);
  const std::vector<std::string> done =
      words(std::get<std::string>(fact(r, "shard_completed")->value));
  ASSERT_EQ(done.size(), 3u);
  for (const std::string& d : done) EXPECT_GT(std::stoull(d), 0u);
}

// shard_cpu_s is each loop thread's CPU over the measured window, read at
// its edges as the run's own cpu_window_s is: cpu-bound shards, with a
// warm-up as long as the window, report about the window's length each (no
// thread can use more than the wall time), where the whole run's would be
// twice that; together no more than the run's window CPU.
TEST(Shards, CpuPerShardIsOverTheWindow) {
  run_config c = shards_run(2);
  c.workload = "cpu:1ms";
  c.concurrency = 4;
  c.warmup = 300ms;
  c.duration = 300ms;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  ASSERT_NE(fact(r, "shard_cpu_s"), nullptr);
  const std::vector<std::string> cpu = words(std::get<std::string>(fact(r, "shard_cpu_s")->value));
  ASSERT_EQ(cpu.size(), 2u);
  double sum = 0;
  for (const std::string& s : cpu) {
    const double x = std::stod(s);
    EXPECT_GT(x, 0);
    // The window, a drain of at most a task per client, and the reading's
    // lateness at the close (the shards are idle after the drain).
    EXPECT_LE(x, r.window_s + 0.05) << "more than the window's wall time";
    sum += x;
  }
  ASSERT_GE(r.cpu_window_user_s, 0);
  EXPECT_LE(sum, 1.1 * (r.cpu_window_user_s + r.cpu_window_sys_s) + 0.03);
}

TEST(Shards, UnbalancedShardsAreWarnedAbout) {
  run_record r;
  r.config = shards_run(2);
  r.latency.count = 100000;
  r.model_facts = {{"shard_completed", std::string("1000 800")}, {"shard_imbalance", 0.2222}};
  const std::vector<std::string> w = measurement_warnings({r}, {});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("shards x2"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("unbalanced by 22% (tasks per shard: 1000 800)"), std::string::npos) << w[0];
  // With each shard's CPU over the window, where the run has it.
  r.model_facts.push_back({"shard_cpu_s", std::string("0.290 0.210")});
  EXPECT_NE(measurement_warnings({r}, {})[0].find(
                "(tasks per shard: 1000 800; CPU seconds per shard over the window: 0.290 0.210)"),
            std::string::npos)
      << measurement_warnings({r}, {})[0];
  r.model_facts = {{"shard_imbalance", 0.05}};
  EXPECT_TRUE(measurement_warnings({r}, {}).empty());
  // One client for two shards leaves one idle by construction: no warning.
  r.config.arrival = arrival_kind::closed;
  r.config.concurrency = 1;
  r.model_facts = {{"shard_completed", std::string("60 0")}, {"shard_imbalance", 2.0}};
  EXPECT_TRUE(measurement_warnings({r}, {}).empty());
}

}  // namespace
}  // namespace ccbench
