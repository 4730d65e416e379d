// The user's objective (--slo): parsing, its errors, and the verdict on a run.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "harness/error.hpp"
#include "harness/slo.hpp"

namespace ccbench {
namespace {

TEST(Slo, ParsesTermsPerRunAndPerClass) {
  const slo s = slo::parse(" p99<20ms, stall < 5ms,tput>1000 ,api.p99<=10ms,p50<800us");
  ASSERT_EQ(s.terms().size(), 5u);
  EXPECT_EQ(s.terms()[0].metric, "p99");
  EXPECT_TRUE(s.terms()[0].below);
  EXPECT_DOUBLE_EQ(s.terms()[0].limit, 20000);
  EXPECT_EQ(s.terms()[1].metric, "stall");
  EXPECT_DOUBLE_EQ(s.terms()[1].limit, 5000);
  EXPECT_EQ(s.terms()[2].metric, "tput");
  EXPECT_FALSE(s.terms()[2].below);
  EXPECT_DOUBLE_EQ(s.terms()[2].limit, 1000);
  EXPECT_EQ(s.terms()[3].class_name, "api");
  EXPECT_DOUBLE_EQ(s.terms()[3].limit, 10000);
  EXPECT_EQ(s.text(), "p99<20ms,stall<5ms,tput>1000,api.p99<10ms,p50<800us");
  EXPECT_EQ(slo::parse(s.text()).text(), s.text());
  EXPECT_DOUBLE_EQ(s.p99_limit_us(), 20000);
  EXPECT_TRUE(slo::parse("").empty());
  EXPECT_DOUBLE_EQ(slo::parse("api.p99<1ms").p99_limit_us(), 0) << "a class's p99 is not the run's";
}

TEST(Slo, BadObjectivesNameTheirTerm) {
  const std::map<std::string, std::string> bad = {
      {"p98<1ms", "bad --slo 'p98<1ms': unknown metric 'p98'"},
      {"p99=1ms", "term 'p99=1ms' has no '<' or '>'"},
      {"p99<fast", "term 'p99<fast':"},
      {"p99<0ms", "term 'p99<0ms': the limit must be more than zero"},
      {"p99>1ms", "term 'p99>1ms': p99 takes '<'"},
      {"tput<5", "term 'tput<5': tput takes '>'"},
      {"tput>lots", "term 'tput>lots': 'lots' is not a positive number of tasks/s"},
      {"p99<1ms,,tput>1", "empty term"},
      {".p99<1ms", "has an empty class"},
      {"api.stall<1ms", "stalls are the scheduler's, not a class's"},
  };
  for (const auto& [text, want] : bad) {
    std::string what;
    try {
      slo::parse(text);
    } catch (const config_error& e) {
      what = e.what();
    }
    EXPECT_NE(what.find(want), std::string::npos) << text << " -> " << what;
  }
}

run_record measured() {
  run_record r;
  r.status = run_status::ok;
  r.latency.p50 = 900;
  r.latency.p99 = 12000;
  r.stall.max = 3000;
  r.window_s = 2;
  r.completed = 3000;
  r.throughput_per_s = 1500;
  class_result api;
  api.name = "api";
  api.completed = 2800;
  api.latency.p99 = 4000;
  class_result report;
  report.name = "report";
  report.completed = 200;
  report.latency.p99 = 60000;
  r.classes = {api, report};
  return r;
}

TEST(Slo, VerdictNamesTheWorstBreach) {
  const run_record r = measured();
  EXPECT_TRUE(check_slo(slo::parse("p99<20ms,stall<5ms,tput>1000"), r).met);
  EXPECT_TRUE(check_slo(slo::parse("api.p99<5ms,api.tput>1000"), r).met);

  // p99 12ms against 10ms is 1.2x; stall 3ms against 1ms is 3x: the stall is worst.
  const slo_verdict v = check_slo(slo::parse("p99<10ms,stall<1ms,tput>1000"), r);
  EXPECT_FALSE(v.met);
  EXPECT_EQ(v.breaches, 2u);
  EXPECT_EQ(v.worst, "stall 3ms >= 1ms (3x)");

  const slo_verdict k = check_slo(slo::parse("report.p99<50ms,tput>3000"), r);
  EXPECT_FALSE(k.met);
  EXPECT_EQ(k.worst, "tput 1500/s <= 3000/s (2x)");

  EXPECT_EQ(check_slo(slo::parse("nope.p99<1s"), r).worst, "class 'nope' not in the workload");

  run_record failed = r;
  failed.status = run_status::timeout;
  EXPECT_EQ(check_slo(slo::parse("p99<1s"), failed).worst, "status timeout");

  run_record marked = r;
  marked.config.slo = slo::parse("p99<1ms").text();
  apply_slo(marked);
  EXPECT_EQ(marked.slo_met, 0);
  EXPECT_EQ(marked.slo_breaches, 1u);
  EXPECT_EQ(marked.slo_worst, "p99 12ms >= 1ms (12x)");
  run_record none = r;
  apply_slo(none);
  EXPECT_EQ(none.slo_met, -1);
}

}  // namespace
}  // namespace ccbench
