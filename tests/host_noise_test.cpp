// The host's noise per run: steal and foreign CPU from /proc/stat readings at
// the window's edges, and the warning when the host took too much.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/host_noise.hpp"
#include "harness/resource_usage.hpp"
#include "harness/runner.hpp"
#include "harness/statistics.hpp"
#include "harness/step_work.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

// Two readings of a 2-CPU VM's /proc/stat one second apart (USER_HZ 100).
constexpr const char* stat_open =
    "cpu  1000 10 500 90000 20 5 15 100 0 0\n"
    "cpu0 500 5 250 45000 10 3 7 50 0 0\n"
    "cpu1 500 5 250 45000 10 2 8 50 0 0\n"
    "intr 12345 0 0\nctxt 999\nbtime 1700000000\n";
constexpr const char* stat_close =
    "cpu  1130 10 540 90020 20 6 19 106 0 0\n"
    "cpu0 565 5 270 45010 10 3 9 53 0 0\n"
    "cpu1 565 5 270 45010 10 3 10 53 0 0\n"
    "intr 12400 0 0\nctxt 1200\nbtime 1700000000\n";

TEST(HostNoise, ParsesTheAggregateLineOfProcStat) {
  const auto t = proc_stat_times::parse(stat_open);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->user, 1000u);
  EXPECT_EQ(t->nice, 10u);
  EXPECT_EQ(t->system, 500u);
  EXPECT_EQ(t->idle, 90000u);
  EXPECT_EQ(t->iowait, 20u);
  EXPECT_EQ(t->irq, 5u);
  EXPECT_EQ(t->softirq, 15u);
  EXPECT_EQ(t->steal, 100u);
  EXPECT_EQ(t->busy(), 1000u + 10 + 500 + 5 + 15);
}

TEST(HostNoise, RejectsTextWithoutTheAggregateLine) {
  EXPECT_FALSE(proc_stat_times::parse("").has_value());
  EXPECT_FALSE(proc_stat_times::parse("cpu0 1 2 3 4 5 6 7 8\n").has_value());
  EXPECT_FALSE(proc_stat_times::parse("cpu  1 2 3 4 5\n").has_value());  // no steal field
}

TEST(HostNoise, ReadsThisMachine) {
  const auto t = proc_stat_times::now();
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(t->busy() + t->idle, 0u);
}

TEST(HostNoise, StealAndForeignCpuFromTwoReadings) {
  const auto a = proc_stat_times::parse(stat_open), b = proc_stat_times::parse(stat_close);
  ASSERT_TRUE(a && b);
  // Busy: user 130 + system 40 + irq 1 + softirq 4 = 175 ticks = 1.75 s; the
  // run used 1.2 s of it, so others used 0.55 s. Steal: 6 ticks = 0.06 s.
  const host_noise n = host_noise::between(*a, *b, 1.2, 0.01);
  EXPECT_NEAR(n.steal_s, 0.06, 1e-9);
  EXPECT_NEAR(n.foreign_cpu_s, 0.55, 1e-9);
  // Ticks are coarse: a run that read more CPU than the machine's busy time
  // leaves no foreign CPU, never a negative one.
  EXPECT_EQ(host_noise::between(*a, *b, 2.0, 0.01).foreign_cpu_s, 0.0);
  // A counter that went back (a CPU taken offline) counts as nothing.
  EXPECT_EQ(host_noise::between(*b, *a, 0.0, 0.01).steal_s, 0.0);
}

run_record noisy_run(double steal_s, double foreign_cpu_s) {
  run_record r;
  r.config.model = "loop";
  r.config.workload = "io:1ms";
  r.config.concurrency = 4;
  r.latency.count = 100000;  // no other warning
  r.window_s = 1.0;
  r.host_cpus = 2;
  r.host_steal_s = steal_s;
  r.host_foreign_cpu_s = foreign_cpu_s;
  return r;
}

TEST(HostNoise, WarnsWhenStealExceedsTwoPercentOfTheWindow) {
  // The fixture's window: 0.06 s stolen of 2 s of CPU is 3%.
  const auto a = proc_stat_times::parse(stat_open), b = proc_stat_times::parse(stat_close);
  const host_noise n = host_noise::between(*a, *b, 1.75, 0.01);  // no foreign CPU
  const std::vector<std::string> w = measurement_warnings({noisy_run(n.steal_s, 0)}, {});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("loop"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("the host took 3.0% of the CPU during this run"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("compare with care"), std::string::npos) << w[0];
}

TEST(HostNoise, WarnsWhenOtherProcessesUseMoreThanFivePercentOfACore) {
  const auto a = proc_stat_times::parse(stat_open), b = proc_stat_times::parse(stat_close);
  const host_noise n = host_noise::between(*a, *b, 1.2, 0.01);
  const std::vector<std::string> w = measurement_warnings({noisy_run(0, n.foreign_cpu_s)}, {});
  ASSERT_EQ(w.size(), 1u);
  // 0.55 s of 2 CPU-seconds.
  EXPECT_NE(w[0].find("the host took 27.5% of the CPU"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("other processes 55% of a core"), std::string::npos) << w[0];
}

TEST(HostNoise, QuietOrUnknownHostsAreNotWarnedAbout) {
  // 1% steal and 4% of a core: under both thresholds.
  EXPECT_TRUE(measurement_warnings({noisy_run(0.02, 0.04)}, {}).empty());
  EXPECT_TRUE(measurement_warnings({noisy_run(-1, -1)}, {}).empty());
  run_record failed = noisy_run(1, 1);
  failed.status = run_status::error;
  EXPECT_TRUE(host_noise_warnings({failed}).empty());
}

TEST(HostNoise, ABusyHostIsOneWarningNotOnePerRun) {
  std::vector<run_record> runs;
  for (int i = 0; i < 8; ++i) runs.push_back(noisy_run(0, 0.1 + 0.1 * i));  // worst: 0.8 s
  runs.push_back(noisy_run(0, 0));
  const std::vector<std::string> w = host_noise_warnings(runs);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("8 of 9 runs had a noisy host"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("other processes 80% of a core"), std::string::npos) << w[0];
  runs.resize(5);
  EXPECT_EQ(host_noise_warnings(runs).size(), 5u);
}

TEST(HostNoise, EveryRunRecordsIt) {
  run_config c;
  c.model = "loop";
  c.workload = "io:1ms";
  c.concurrency = 4;
  c.warmup = 50ms;
  c.duration = 300ms;
  c.timeout = 20s;
  const run_record r = run_in_process(c, find_model("loop")->make, calibrate_cpu_burn(20ms));
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_GE(r.host_steal_s, 0);
  EXPECT_GE(r.host_foreign_cpu_s, 0);
  EXPECT_EQ(r.host_cpus, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  // At most every CPU for the window (plus the ticks' rounding).
  EXPECT_LE(r.host_steal_s + r.host_foreign_cpu_s, r.window_s * r.host_cpus + 0.1);
}

// The delay server's CPU is read this way at the window's edges, so that it
// counts as the run's own rather than as a neighbour's.
TEST(HostNoise, ProcessCpuReadsAnotherProcessAndRefusesAMissingOne) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto until = std::chrono::steady_clock::now() + 300ms;
    volatile unsigned long x = 0;
    while (std::chrono::steady_clock::now() < until) x = x + 1;
    _exit(0);
  }
  std::this_thread::sleep_for(250ms);
  const double cpu = process_cpu_s(child);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_GT(cpu, 0.05) << "a child spinning for 250 ms";
  EXPECT_LT(cpu, 1.0);
  EXPECT_EQ(process_cpu_s(child), -1.0) << "reaped: no /proc entry";
}

}  // namespace
}  // namespace ccbench
