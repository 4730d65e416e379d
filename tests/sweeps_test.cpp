// The built-in sweeps' plans, sized to the machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/cli/sweeps.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

// Drives the crossover bisections against an ideal loop, loop per core and
// pool on a machine of `cores`: N clients, each waiting w = 10 ms, then
// computing x. The loop runs the computing on its one core: min(N / (w + x),
// 1 / x) tasks/s. The pool has a thread per client: N / (w + x), as long as
// the cores keep up. The loop per core (shards) is `cores` such loops with
// N / cores clients each, at `per_core_efficiency` of the cores once they are
// full. Returns the CPU bursts probed, split by who won, per question.
struct bisection {
  std::vector<double> loop_kept_up_us, pool_won_us;
};
struct crossovers {
  bisection one_loop, per_core;
  std::string per_core_model;
};

crossovers crossover_on(int cores, double per_core_efficiency = 1.0) {
  suite_plan plan = make_sweep("crossover", false, cores);
  EXPECT_TRUE(plan.runs.empty());
  std::vector<run_record> done;
  crossovers out;
  while (true) {
    const std::vector<run_config> probe = plan.more(done);
    if (probe.empty()) break;
    EXPECT_EQ(probe.size(), 2u);
    if (probe.size() != 2) break;
    const double x_s =
        std::chrono::duration<double>(workload::parse(probe[0].workload).mean_time(step_kind::cpu))
            .count();
    const double wait_s = 10e-3;
    const auto n = static_cast<double>(probe[0].concurrency);
    const bool per_core = probe[0].model != "loop";
    if (per_core) {
      out.per_core_model = probe[0].model;
      EXPECT_EQ(probe[0].options.threads, cores);
    }
    const double loop = per_core ? std::min(n / (wait_s + x_s), per_core_efficiency * cores / x_s)
                                 : std::min(n / (wait_s + x_s), 1 / x_s);
    const double pool = std::min(n / (wait_s + x_s), cores / x_s);
    EXPECT_EQ(probe[1].model, "pool");
    for (const run_config& c : probe) {
      run_record r;
      r.config = c;
      r.throughput_per_s = c.model == "pool" ? pool : loop;
      done.push_back(r);
    }
    bisection& b = per_core ? out.per_core : out.one_loop;
    (pool > 1.05 * loop ? b.pool_won_us : b.loop_kept_up_us).push_back(x_s * 1e6);
  }
  return out;
}

// One line per planned run: what the sweep set, and any other field that is
// not run_config's default.
std::string describe(const run_config& c) {
  const run_config d;
  std::ostringstream line;
  line << c.group << " | " << c.model << " " << to_string(c.options.offload) << " t"
       << c.options.threads << " | " << c.workload << " | " << c.scenario << " | "
       << to_string(c.arrival) << " c" << c.concurrency << " r" << c.rate << " | "
       << format_duration(c.warmup) << " + " << format_duration(c.duration) << " rep "
       << c.repetition;
  auto other = [&](const char* name, auto value, auto default_value) {
    if (value != default_value) line << " " << name << " " << value;
  };
  auto other_time = [&](const char* name, nanoseconds value, nanoseconds default_value) {
    if (value != default_value) line << " " << name << " " << format_duration(value);
  };
  other("offload_threads", c.options.offload_threads, d.options.offload_threads);
  other_time("timeout", c.timeout, d.timeout);
  other_time("stall_period", c.stall_period, d.stall_period);
  other_time("stall_threshold", c.stall_threshold, d.stall_threshold);
  other_time("slow_threshold", c.slow_threshold, d.slow_threshold);
  other_time("interval", c.series_interval, d.series_interval);
  other("seed", c.seed, d.seed);
  return line.str();
}

// Every run a sweep plans: its fixed list, then what it adds as results come
// in. Every run added reports one task per second per thread (so the crossover
// bisects towards its lower bound).
std::string plan_text(std::string_view name, bool full, int cores) {
  suite_plan plan = make_sweep(name, full, cores);
  std::string text;
  std::vector<run_record> done;
  for (const run_config& c : plan.runs) text += describe(c) + "\n";
  for (int round = 0; plan.more && round < 100; ++round) {
    const std::vector<run_config> more = plan.more(done);
    if (more.empty()) break;
    for (const run_config& c : more) {
      text += describe(c) + "\n";
      run_record r;
      r.config = c;
      r.throughput_per_s = c.options.threads;
      done.push_back(r);
    }
  }
  return text;
}

// The runs `make bench` plans on 2 cores and on 16 are the ones recorded in
// tests/sweep_plans.txt. A change that alters them on purpose rewrites that
// file: the test writes what it planned to sweep_plans.actual.txt in its
// working directory.
TEST(Sweeps, BenchPlansTheRecordedRuns) {
  std::string actual;
  for (int cores : {2, 16}) {
    actual += "# bench on " + std::to_string(cores) + " cores\n" + plan_text("bench", false, cores);
  }
  std::ifstream in(std::filesystem::path(CCBENCH_SOURCE_DIR) / "tests" / "sweep_plans.txt");
  std::ostringstream expected;
  expected << in.rdbuf();
  std::ofstream("sweep_plans.actual.txt") << actual;
  ASSERT_FALSE(expected.str().empty()) << "cannot read tests/sweep_plans.txt";
  std::istringstream a(actual), e(expected.str());
  std::string la, le;
  for (int line = 1; std::getline(e, le); ++line) {
    ASSERT_TRUE(std::getline(a, la))
        << "planned fewer runs; expected at line " << line << ": " << le;
    ASSERT_EQ(la, le) << "at line " << line;
  }
  EXPECT_FALSE(std::getline(a, la)) << "planned more runs: " << la;
}

// make bench's closed-loop runs ask for a 10% p99 (--full: 5%); a shared
// budget of extra window goes to the runs that can reach it with a little
// more time, and no run that can only crawl gets any.
TEST(Sweeps, BenchGivesItsPrecisionBudgetToTheRunsThatNeedIt) {
  for (const bool full : {false, true}) {
    const suite_plan plan = make_sweep("bench", full, 2);
    double extra_s = 0;
    int asked = 0, lengthened = 0;
    for (const run_config& c : plan.runs) {
      const bool closed = c.group == "scenarios" || c.group == "decision-map";
      if (!closed) {
        EXPECT_EQ(c.precision, 0) << c.group;
        continue;
      }
      ++asked;
      EXPECT_DOUBLE_EQ(c.precision, full ? 0.05 : 0.10);
      ASSERT_GE(c.max_duration, c.duration);
      const double extra = to_s(c.max_duration - c.duration);
      EXPECT_LE(extra, full ? 20.0 : 2.5 + 1e-9);
      extra_s += extra;
      lengthened += extra > 0;
      // io:10ms at c=1 runs 100 tasks/s: far from the thousands of samples a
      // sure p99 needs, it gets nothing.
      if (c.workload == "io:10ms" && c.concurrency == 1) {
        EXPECT_EQ(extra, 0) << c.model;
      }
    }
    EXPECT_GT(asked, 50);
    EXPECT_GT(lengthened, 0);
    // The budget, and half as much again for the guess of each run's rate.
    EXPECT_LE(extra_s, 1.5 * (full ? 300 : 6) + 1e-6);
  }
}

// Quick `make bench` trims what costs most for what it adds (docs/cli.md):
// the Python models sit out the decision map and only the first of them runs
// in the scenarios; `net` skips one client. --full keeps all of it, and every
// quick scenario still runs at every level with some model.
TEST(Sweeps, QuickBenchTrimsWhatFullKeeps) {
  for (const bool full : {false, true}) {
    SCOPED_TRACE(full ? "full" : "quick");
    const suite_plan plan = make_sweep("bench", full, 2);
    int python_in_map = 0, net_at_one = 0;
    double lowest_hockey_rate = 1e9;
    std::set<std::string> python_in_scenarios;
    std::set<std::pair<std::string, std::uint64_t>> levels;
    for (const run_config& c : plan.runs) {
      const model_info* m = find_model(c.model);
      ASSERT_NE(m, nullptr);
      if (c.group == "hockey") lowest_hockey_rate = std::min(lowest_hockey_rate, c.rate);
      // Quick windows: 0.5 s, but for the crossover's close calls (0.6 s) and
      // the stall timeline (2 s); --full: 3 s, stalls 5 s.
      using namespace std::chrono_literals;
      const nanoseconds window = c.group == "stalls"      ? (full ? 5s : 2s)
                                 : c.group == "crossover" ? (full ? 3s : 600ms)
                                                          : (full ? 3s : 500ms);
      EXPECT_EQ(c.duration, window) << c.group;
      if (c.group == "decision-map" && m->traits.python) ++python_in_map;
      if (c.group == "scenarios" && m->traits.python) python_in_scenarios.insert(c.model);
      if (c.group == "scenarios" && c.scenario == "net" && c.concurrency == 1) ++net_at_one;
      if (c.group == "scenarios") levels.insert({c.scenario, c.concurrency});
    }
    std::size_t python_models = 0;
    for (const model_info& m : registered_models()) python_models += m.traits.python;
    EXPECT_EQ(python_in_map > 0, full);
    EXPECT_EQ(net_at_one > 0, full);
    EXPECT_EQ(lowest_hockey_rate, full ? 50 : 100);
    EXPECT_EQ(python_in_scenarios.size(),
              full ? python_models : std::min<std::size_t>(python_models, 1));
    // On 2 cores: 1, 4 x and 128 x cores (--full: 1, 1 x, 4 x, 32 x, 256 x).
    const std::vector<std::uint64_t> all =
        full ? std::vector<std::uint64_t>{1, 2, 8, 64, 512} : std::vector<std::uint64_t>{1, 8, 256};
    for (const char* name : {"io", "cpu", "block", "mixed", "net"}) {
      for (std::uint64_t level : all) {
        // Quick: one client only in io and block.
        const std::string_view n = name;
        const bool trimmed = !full && level == 1 && n != "io" && n != "block";
        EXPECT_EQ(levels.count({name, level}), trimmed ? 0u : 1u) << name << " c=" << level;
      }
    }
  }
}

// The loop's core is full at 10 ms / (N - 1) with N = 8 x cores clients; past
// the 5% tie margin the pool wins. The bisection must bracket that point on a
// small machine and on a large one (on 16 cores it lies at 83 us, below the 1%
// of the wait that the bisection once started from).
TEST(Sweeps, CrossoverBracketsTheLoopsOneCoreOnAnyNumberOfCores) {
  for (int cores : {2, 4, 16, 64}) {  // on one core the pool cannot win
    SCOPED_TRACE(cores);
    const double n = 8.0 * cores;
    const double tie_us = 1.05 * 10e3 / (n - 1.05);  // pool = 1.05 x loop
    const bisection b = crossover_on(cores).one_loop;
    ASSERT_FALSE(b.loop_kept_up_us.empty()) << "no probe was below the crossover";
    ASSERT_FALSE(b.pool_won_us.empty()) << "no probe was above the crossover";
    const double below = *std::max_element(b.loop_kept_up_us.begin(), b.loop_kept_up_us.end());
    const double above = *std::min_element(b.pool_won_us.begin(), b.pool_won_us.end());
    EXPECT_LE(below, tie_us);
    EXPECT_GE(above, tie_us);
    EXPECT_LT(above / below, 1.5) << "five probes narrow it to within 50%";
  }
}

// The second question: the pool against a loop per core (found by its traits:
// cooperative, sharing nothing). Ideal shards fill their cores as the pool
// does, so the pool never overtakes them and the bisection climbs towards
// the whole wait; shards at 80% of their cores once full are overtaken where
// 1.05 x 0.8 x cores / x = N / (w + x), which three probes bracket.
TEST(Sweeps, CrossoverAsksWhenThePoolBeatsALoopPerCore) {
  for (int cores : {2, 16}) {
    SCOPED_TRACE(cores);
    const crossovers ideal = crossover_on(cores);
    EXPECT_EQ(ideal.per_core_model, "shards");
    EXPECT_TRUE(ideal.per_core.pool_won_us.empty());
    ASSERT_EQ(ideal.per_core.loop_kept_up_us.size(), 3u) << "three probes";
    EXPECT_GT(ideal.per_core.loop_kept_up_us.back(), 5e3) << "up towards the whole wait";
    // It starts from the last burst the one loop kept up with.
    const double one_loop_below = *std::max_element(ideal.one_loop.loop_kept_up_us.begin(),
                                                    ideal.one_loop.loop_kept_up_us.end());
    // (Within the spec's rounding: the probe is written as a workload spec.)
    const double first_us = std::sqrt(one_loop_below * 10e3);
    EXPECT_NEAR(ideal.per_core.loop_kept_up_us.front(), first_us, 1e-3 * first_us);

    const crossovers slower = crossover_on(cores, 0.8);
    const double n = 8.0 * cores;
    const double tie_us = 10e3 / (n / (1.05 * 0.8 * cores) - 1);
    ASSERT_FALSE(slower.per_core.loop_kept_up_us.empty());
    ASSERT_FALSE(slower.per_core.pool_won_us.empty());
    const double below = *std::max_element(slower.per_core.loop_kept_up_us.begin(),
                                           slower.per_core.loop_kept_up_us.end());
    const double above =
        *std::min_element(slower.per_core.pool_won_us.begin(), slower.per_core.pool_won_us.end());
    EXPECT_LE(below, tie_us);
    EXPECT_GE(above, tie_us);
    EXPECT_LT(above / below, 2.0);
  }
  // On one core a loop per core is the one loop: not asked.
  EXPECT_TRUE(crossover_on(1).per_core.loop_kept_up_us.empty());
  EXPECT_TRUE(crossover_on(1).per_core.pool_won_us.empty());
}

}  // namespace
}  // namespace ccbench
