// Open loop, the stall log, resumes, queue waits, time series and repetitions.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <numeric>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/runner.hpp"
#include "harness/statistics.hpp"
#include "harness/step_work.hpp"
#include "tests/test_util.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

using testing_util::rounds_per_ns;

run_config base(const std::string& model, const std::string& spec) {
  run_config c;
  c.model = model;
  c.options.threads = 2;
  c.workload = spec;
  c.concurrency = 4;
  c.warmup = 100ms;
  c.duration = 1s;
  c.timeout = 20s;
  return c;
}

run_record run(const run_config& c) {
  return run_in_process(c, find_model(c.model)->make, rounds_per_ns());
}

// Every model drives the same precomputed schedule in its own idiom.
class OpenLoop : public testing::TestWithParam<std::string> {};

TEST_P(OpenLoop, AchievesTheOfferedRate) {
  run_config c = base(GetParam(), "io:1ms");
  c.arrival = arrival_kind::open;
  c.rate = 500;
  c.duration = 2s;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(r.offered_per_s, 500);
  // Poisson arrivals: 1000 expected in the window, sd ~32; 10% is > 3 sd.
  EXPECT_NEAR(r.throughput_per_s, 500, 50);
  EXPECT_GE(r.generator_lag_ms, 0);
  EXPECT_EQ(r.errors, 0u);
}

std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const model_info& m : registered_models()) out.emplace_back(m.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllModels, OpenLoop, testing::ValuesIn(model_names()),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;  // letters, digits and _ only
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(CoordinatedOmission, CorrectedLatencyShowsWhatItHides) {
  run_config c = base("loop", "io:1ms,block:50ms@2%");
  c.arrival = arrival_kind::open;
  c.rate = 200;
  c.duration = 2s;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  // Arrivals queued behind a 50 ms block wait on the loop: the corrected
  // distribution counts that wait, the uncorrected one starts the clock late.
  EXPECT_GT(r.latency.p90, 2 * r.latency_uncorrected.p90);
  EXPECT_GT(r.generator_lag_ms, 20);
  ASSERT_EQ(r.spectrum_percentiles.size(), r.spectrum_corrected_us.size());
  ASSERT_EQ(r.spectrum_percentiles.size(), r.spectrum_uncorrected_us.size());
}

TEST(StallLog, NamesTheBlockStepThatHeldTheLoop) {
  run_config c = base("loop", "io:5ms,block:30ms");
  c.concurrency = 2;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  ASSERT_FALSE(r.stall_log.empty());
  int named = 0;
  for (const stall_event& e : r.stall_log) {
    if (e.step == "block") {
      ++named;
      EXPECT_GE(e.length_ms, 25.0);
      EXPECT_EQ(e.step_index, 1);
      EXPECT_GE(e.task, 0);
    }
  }
  EXPECT_GE(named, 10);
  EXPECT_GE(r.slow_resumes, 10u);
  EXPECT_GE(r.resume_max_us, 25'000.0);
}

TEST(BusyRatio, HighForCpuLowForWaits) {
  const run_record cpu = run(base("loop", "cpu:1ms"));
  const run_record io = run(base("loop", "io:2ms"));
  ASSERT_EQ(cpu.status, run_status::ok) << cpu.error;
  ASSERT_EQ(io.status, run_status::ok) << io.error;
  EXPECT_GT(cpu.busy_ratio, 0.8);
  EXPECT_LT(io.busy_ratio, 0.3);
  EXPECT_GE(io.busy_ratio, 0.0);
}

// The loop opens the segment after a wait at the thread's last stamp (the
// loop's reading before it fired the timer), not at a clock read of its own: a
// stale stamp from before the sleep would make every resume about as long as
// the 2 ms wait.
TEST(Resumes, AfterAWaitTheyStartAtTheWakeUpNotBeforeTheSleep) {
  run_config c = base("loop", "io:2ms");
  c.options.threads = 1;
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  ASSERT_GT(r.completed, 500u);
  // One segment per task: from the wake-up to the completion, at which the
  // next task is issued and starts its wait (closed loop, no segment between).
  EXPECT_GE(r.resumes + c.concurrency, r.completed);
  EXPECT_LE(r.resumes, r.completed + r.drained + c.concurrency);
  EXPECT_LT(r.resume_p99_us, 500.0);
  EXPECT_LT(r.busy_ratio, 0.05);
}

TEST(QueueWait, PoolReportsReadyToRunning) {
  run_config c = base("pool", "io:10ms");
  c.options.threads = 1;
  c.concurrency = 5;  // four tasks wait for the one worker
  const run_record r = run(c);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_GT(r.queue_waits, 20u);
  EXPECT_GT(r.queue_wait_p50_us, 20'000.0);  // about 4 x 10 ms
  EXPECT_LT(r.busy_ratio, 0);                // not an event loop
}

TEST(TimeSeries, CoversTheRunAndCountsEveryCompletion) {
  const run_record r = run(base("loop", "io:2ms"));
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  ASSERT_GE(r.series.t_ms.size(), 10u);
  EXPECT_DOUBLE_EQ(r.series.interval_ms, 100);
  EXPECT_DOUBLE_EQ(r.series.t_ms.front(), -100);  // starts with the warm-up
  const auto total =
      std::accumulate(r.series.completed.begin(), r.series.completed.end(), std::uint64_t{0});
  EXPECT_EQ(total, r.issued);
}

TEST(Repetitions, SpreadHasMedianIntervalAndVariation) {
  const spread s = spread_of({10, 12, 11, 13, 9});
  EXPECT_DOUBLE_EQ(s.median, 11);
  // mean 11, sd 1.5811, t(4) = 2.776: half-width 1.963
  EXPECT_NEAR(s.ci95_low, 9.037, 0.01);
  EXPECT_NEAR(s.ci95_high, 12.963, 0.01);
  EXPECT_NEAR(s.cv, 0.1437, 0.001);
}

TEST(Repetitions, SummarizesEachConfigurationAndWarnsWhenNoisy) {
  std::vector<run_record> runs;
  for (int rep = 0; rep < 3; ++rep) {
    for (const char* model : {"loop", "pool"}) {
      run_record r;
      r.config = base(model, "io:1ms");
      r.config.repetition = rep;
      r.throughput_per_s = model == std::string("loop") ? 1000 + rep : 100 + 20 * rep;
      r.latency.p99 = 1000;
      r.latency.count = 5000;
      runs.push_back(r);
    }
  }
  const std::vector<config_summary> s = summarize_repetitions(runs);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].key.model, "loop");
  EXPECT_EQ(s[0].n, 3);
  EXPECT_DOUBLE_EQ(s[0].throughput.median, 1001);
  const std::vector<std::string> w = measurement_warnings(runs, s);
  ASSERT_EQ(w.size(), 1u);  // pool varies by ~17%, loop by 0.1%
  EXPECT_NE(w[0].find("pool"), std::string::npos);
  EXPECT_NE(w[0].find("coefficient of variation"), std::string::npos);
}

TEST(Warnings, TooFewSamplesForTheReportedPercentile) {
  run_record r;
  r.config = base("loop", "io:1s");
  r.latency.count = 40;
  const std::vector<std::string> w = measurement_warnings({r}, {});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("fewer than 1,000"), std::string::npos);
}

// A run is forked from the suite's process and starts with its pages resident
// (the results so far): rss_start_kb counts them, so that peak - start is what
// the run used itself, wherever it fell in the suite.
TEST(Memory, PagesInheritedFromTheSuiteAreNotTheRunsOwn) {
  std::vector<char> ballast(64 << 20);
  for (std::size_t i = 0; i < ballast.size(); i += 4096) ballast[i] = 1;
  run_config c = base("loop", "io:1ms");
  c.warmup = 50ms;
  c.duration = 200ms;
  const run_record r = run_isolated(c, find_model("loop")->make, rounds_per_ns());
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_GE(r.rss_start_kb, 64u * 1024) << "the inherited 64 MiB";
  EXPECT_GE(r.rss_peak_kb, r.rss_start_kb);
  EXPECT_LT(r.rss_peak_kb - r.rss_start_kb, 32u * 1024)
      << "a 4-task loop run used " << r.rss_peak_kb - r.rss_start_kb << " KiB";
  EXPECT_EQ(ballast[4096], 1);
}

// Memory the suite has freed is handed back before the fork: the run does not
// start with it resident, where its allocations could reuse it without a page
// fault and read low.
TEST(Memory, TheSuitesFreedHeapIsNotHandedToTheRun) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator keeps freed memory (its quarantine)";
#endif
  run_config c = base("loop", "io:1ms");
  c.warmup = 50ms;
  c.duration = 200ms;
  const run_record lean = run_isolated(c, find_model("loop")->make, rounds_per_ns());
  std::unique_ptr<char[]> pin;
  {
    std::vector<std::unique_ptr<char[]>> chunks(64 * 1024);  // 64 MiB in 1 KiB pieces
    for (auto& p : chunks) {
      p = std::make_unique<char[]>(1024);
      p[0] = 1;
    }
    // Allocated above them, it keeps free() from giving their memory back by
    // itself (glibc shrinks only the top of the heap).
    pin = std::make_unique<char[]>(1024);
  }
  const run_record r = run_isolated(c, find_model("loop")->make, rounds_per_ns());
  ASSERT_EQ(lean.status, run_status::ok) << lean.error;
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_LT(r.rss_start_kb, lean.rss_start_kb + 16 * 1024)
      << "the freed 64 MiB stayed resident in the run";
}

}  // namespace
}  // namespace ccbench
