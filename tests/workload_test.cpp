#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <cmath>

#include "harness/error.hpp"
#include "harness/step_source.hpp"
#include "harness/step_work.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

std::string parse_error(const std::string& spec) {
  try {
    workload::parse(spec);
  } catch (const config_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Workload, ParsesEveryStepKindAndUnit) {
  const workload w = workload::parse("io:10ms, cpu:200us,block:1.5s,io:750ns");
  ASSERT_EQ(w.steps().size(), 4u);
  EXPECT_EQ(w.steps()[0].kind, step_kind::io);
  EXPECT_EQ(w.steps()[0].mean, 10ms);
  EXPECT_EQ(w.steps()[1].kind, step_kind::cpu);
  EXPECT_EQ(w.steps()[1].mean, 200us);
  EXPECT_EQ(w.steps()[2].kind, step_kind::block);
  EXPECT_EQ(w.steps()[2].mean, 1500ms);
  EXPECT_EQ(w.steps()[3].mean, 750ns);
  EXPECT_EQ(w.text(), "io:10ms,cpu:200us,block:1.5s,io:750ns");
}

TEST(Workload, ParsesExponentialAndProbability) {
  const workload w = workload::parse("io:~5ms,block:100ms@0.5%");
  EXPECT_TRUE(w.steps()[0].exponential);
  EXPECT_FALSE(w.steps()[1].exponential);
  EXPECT_DOUBLE_EQ(w.steps()[1].percent, 0.5);
  EXPECT_EQ(w.text(), "io:~5ms,block:100ms@0.5%");
  EXPECT_EQ(w.mean_time(step_kind::block), 500us);
  EXPECT_EQ(w.mean_task_time(), 5500us);
}

TEST(Workload, RejectsBadSpecsNamingTheInput) {
  EXPECT_EQ(parse_error("io:10xs"),
            "bad workload 'io:10xs': unknown unit 'xs' (use ns, us, ms or s)");
  EXPECT_EQ(parse_error("disk:10ms"),
            "bad workload 'disk:10ms': unknown step kind 'disk' (use io, cpu, block or net)");
  EXPECT_EQ(parse_error("io10ms"),
            "bad workload 'io10ms': step 'io10ms' has no ':' (write KIND:DURATION, e.g. io:10ms)");
  EXPECT_EQ(parse_error("io:10"),
            "bad workload 'io:10': missing unit after '10' (use ns, us, ms or s)");
  EXPECT_EQ(parse_error("io:10ms,,cpu:1ms"),
            "bad workload 'io:10ms,,cpu:1ms': empty step (two commas in a row?)");
  EXPECT_EQ(parse_error("io:-5ms"), "bad workload 'io:-5ms': durations cannot be negative");
  EXPECT_EQ(parse_error("block:1ms@150%"),
            "bad workload 'block:1ms@150%': probability '@150%' must be a number in (0, 100]");
  EXPECT_EQ(parse_error("block:1ms@5"),
            "bad workload 'block:1ms@5': probability '@5' must end in % (e.g. @0.5%)");
  EXPECT_EQ(parse_error(""),
            "bad workload '': empty (give steps such as io:10ms,cpu:200us,block:1ms)");
  EXPECT_EQ(parse_error("io:1.2.3ms"), "bad workload 'io:1.2.3ms': '1.2.3' is not a number");
}

TEST(Workload, EveryScenarioParses) {
  ASSERT_GE(scenarios().size(), 4u);
  for (const char* name : {"io", "cpu", "block", "mixed"}) {
    ASSERT_NE(find_scenario(name), nullptr) << name;
  }
  for (const scenario& s : scenarios()) EXPECT_NO_THROW(workload::parse(s.spec)) << s.name;
  EXPECT_EQ(find_scenario("nope"), nullptr);
}

TEST(Duration, ParsesAndFormats) {
  EXPECT_EQ(parse_duration("2s", "--duration"), 2s);
  EXPECT_EQ(parse_duration("0.5s", "--duration"), 500ms);
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(200us), "200us");
  EXPECT_EQ(format_duration(12250us), "12.25ms");
  try {
    parse_duration("3 seconds", "--duration");
    FAIL();
  } catch (const config_error& e) {
    EXPECT_STREQ(e.what(), "--duration '3 seconds': unknown unit ' seconds' (use ns, us, ms or s)");
  }
}

TEST(CpuBurn, ExpectedValueMatchesTheWork) {
  for (std::uint64_t rounds : {0ull, 1ull, 2ull, 3ull, 1000ull, 123457ull}) {
    EXPECT_EQ(cpu_burn(42, rounds), cpu_burn_expected(42, rounds)) << rounds;
  }
  EXPECT_NE(cpu_burn(42, 1000), cpu_burn(42, 999));  // skipping one round is caught
}

TEST(CpuBurn, CalibrationTracksRequestedDuration) {
  const double rate = calibrate_cpu_burn(50ms);
  ASSERT_GT(rate, 0.01);
  const auto rounds = static_cast<std::uint64_t>(20e6 * rate);  // 20 ms of work
  const time_point t0 = clock::now();
  volatile std::uint64_t sink = cpu_burn(7, rounds);
  (void)sink;
  const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  // Calibration takes the fastest run, so the work takes at least about that long;
  // a shared machine can make it slower, never much faster.
  EXPECT_GT(ms, 15.0);
  EXPECT_LT(ms, 200.0);
}

TEST(WakeupCost, IsChargedAndLeavesTheTimerSlackAsItWas) {
  prctl(PR_SET_TIMERSLACK, 50'000UL, 0UL, 0UL, 0UL);
  const time_point t0 = clock::now();
  const double us = measure_wakeup_cpu_us(20);
  const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  // A wake-up is charged some CPU, and far less than the millisecond slept.
  EXPECT_GT(us, 0.0);
  EXPECT_LT(us, 500.0);
  EXPECT_GE(ms, 21.0) << "it should sleep 1 ms 21 times";
  EXPECT_EQ(prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL), 50'000);
}

TEST(StepSource, DrawsAreDeterministicPerTask) {
  const step_source a(workload::parse("io:~10ms,cpu:~100us,block:1ms@50%"), 7, 1.0);
  const step_source b(workload::parse("io:~10ms,cpu:~100us,block:1ms@50%"), 7, 1.0);
  for (std::uint64_t id = 0; id < 100; ++id) {
    std::vector<step> sa, sb;
    for (const step& s : task_steps(a, id)) sa.push_back(s);
    for (const step& s : task_steps(b, id)) sb.push_back(s);
    ASSERT_EQ(sa.size(), sb.size());
    for (std::size_t i = 0; i < sa.size(); ++i) {
      EXPECT_EQ(sa[i].duration, sb[i].duration);
      EXPECT_EQ(sa[i].seed, sb[i].seed);
    }
    EXPECT_EQ(a.expected_checksum(id), b.expected_checksum(id));
  }
}

TEST(StepSource, ExponentialMeanAndProbabilityShare) {
  const step_source src(workload::parse("io:~10ms,block:1ms@20%"), 3, 1.0);
  double io_total = 0;
  int blocks = 0;
  constexpr int n = 20000;
  for (std::uint64_t id = 0; id < n; ++id) {
    for (const step& s : task_steps(src, id)) {
      if (s.kind == step_kind::io) io_total += static_cast<double>(s.duration.count());
      if (s.kind == step_kind::block) ++blocks;
    }
  }
  EXPECT_NEAR(io_total / n / 1e6, 10.0, 0.5);  // mean 10 ms within 5%
  EXPECT_NEAR(blocks / static_cast<double>(n), 0.20, 0.02);
}

TEST(StepSource, ChecksumFoldsEveryCpuStep) {
  const step_source src(workload::parse("cpu:10us,io:1ms,cpu:20us"), 1, 1.0);
  std::uint64_t sum = 0;
  for (const step& s : task_steps(src, 5)) {
    if (s.kind == step_kind::cpu) sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
  }
  EXPECT_EQ(sum, src.expected_checksum(5));
  EXPECT_NE(src.expected_checksum(5), src.expected_checksum(6));
}

}  // namespace
}  // namespace ccbench
