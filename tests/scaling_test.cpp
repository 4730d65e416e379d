// `ccbench sweep scaling`: its plan, and the summary it prints.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/cli/scaling_report.hpp"
#include "harness/cli/sweeps.hpp"

namespace ccbench {
namespace {

TEST(ScalingSweep, RunsEveryMultiCoreModelAtDoublingCoreCounts) {
  const suite_plan plan = make_sweep("scaling", false, 6);
  std::set<int> ks;
  std::set<std::string> models, workloads;
  for (const run_config& c : plan.runs) {
    EXPECT_EQ(c.group, "scaling");
    EXPECT_EQ(c.arrival, arrival_kind::closed);
    EXPECT_EQ(c.concurrency, 16u * static_cast<unsigned>(c.cpus));
    EXPECT_EQ(c.options.offload, offload_mode::none);
    const model_traits& t = find_model(c.model)->traits;
    if (!t.uses_threads) {
      EXPECT_EQ(c.options.threads, 1) << c.model;
    } else if (t.sweep_threads == thread_sizing::per_task) {
      EXPECT_EQ(c.options.threads, static_cast<int>(c.concurrency)) << c.model;
    } else {
      EXPECT_EQ(c.options.threads, c.cpus) << c.model;
    }
    ks.insert(c.cpus);
    models.insert(c.model);
    workloads.insert(c.scenario);
  }
  EXPECT_EQ(ks, (std::set<int>{1, 2, 4, 6}));
  EXPECT_EQ(workloads, (std::set<std::string>{"io-cpu", "cpu"}));
  for (const char* m : {"loop", "asio", "fiber", "pool", "procs", "shards"}) {
    EXPECT_TRUE(models.contains(m)) << m;
  }
  EXPECT_FALSE(models.contains("threads"));  // a thread per client: not sized by cores
  // 2 workloads x 4 core counts x the models.
  EXPECT_EQ(plan.runs.size(), 2 * 4 * models.size());
  // Not part of bench.
  for (const run_config& c : make_sweep("bench", false, 2).runs) EXPECT_NE(c.group, "scaling");
}

run_record scaling_run(const std::string& model, int k, double x) {
  run_record r;
  r.config.model = model;
  r.config.group = "scaling";
  r.config.scenario = "cpu";
  r.config.cpus = k;
  r.throughput_per_s = x;
  return r;
}

TEST(ScalingSummary, PerCoreSpeedUpAndFitPerModel) {
  std::vector<run_record> runs;
  for (const int k : {1, 2, 4, 8}) {
    runs.push_back(scaling_run("shards", k, 1000.0 * k));                      // linear
    runs.push_back(scaling_run("asio", k, 1000.0 * k / (1 + 0.1 * (k - 1))));  // contention
  }
  run_record failed = scaling_run("asio", 8, 1);
  failed.status = run_status::error;
  runs.push_back(failed);
  const std::vector<scaling_line> lines = scaling_lines(runs);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].model, "shards");
  EXPECT_NEAR(lines[0].speedup, 8, 1e-9);
  EXPECT_NEAR(lines[0].fit.sigma, 0, 1e-9);
  EXPECT_EQ(lines[1].model, "asio");
  EXPECT_NEAR(lines[1].fit.sigma, 0.1, 1e-9);
  EXPECT_TRUE(lines[1].fit.trusted) << lines[1].fit.caveat;

  std::ostringstream out;
  print_scaling(out, lines);
  EXPECT_NE(out.str().find("shards  cpu  k=1: 1,000  k=2: 1,000  k=4: 1,000  k=8: 1,000  "
                           "speed-up x8.00 at 8  sigma 0.000  kappa 0.0000  peak k none"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("asio  cpu"), std::string::npos) << out.str();
}

TEST(ScalingSummary, SaysTwoCoresCannotBeTrusted) {
  std::ostringstream out;
  print_scaling(out, scaling_lines({scaling_run("pool", 1, 1000), scaling_run("pool", 2, 1900)}));
  EXPECT_NE(out.str().find("(not trusted)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("note: the fit cannot be trusted: only k = 1, 2 measured"),
            std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace ccbench
