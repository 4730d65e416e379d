// results.json carries every field of the schema in DESIGN.md, and reads back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/error.hpp"
#include "harness/results_json.hpp"
#include "harness/run_directory.hpp"
#include "harness/summary_csv.hpp"

namespace ccbench {
namespace {

results sample() {
  results r;
  r.run_id = "test-run";
  r.context = collect_host_context();
  run_record rec;
  rec.config.model = "loop";
  rec.config.workload = "io:10ms";
  rec.config.scenario = "io";
  rec.config.concurrency = 64;
  rec.completed = 1234;
  rec.throughput_per_s = 617;
  rec.latency.p99 = 10400;
  rec.stall.max = 250;
  rec.status = run_status::error;
  rec.error = "something, with \"quotes\"";
  rec.model_facts = {{"offload_threads", 6.0}, {"tbb", std::string("2022.0.0")}};
  rec.rss_peak_kb = 9000;
  rec.rss_start_kb = 4000;
  r.runs.push_back(rec);
  r.context.wakeup_cpu_us = 40.5;
  r.warnings.push_back("a warning");
  return r;
}

TEST(Results, JsonHasEveryFieldOfTheSchema) {
  const auto doc = nlohmann::json::parse(to_json_text(sample()));
  EXPECT_EQ(doc["schema"], "ccbench.results/1");
  EXPECT_EQ(doc["run_id"], "test-run");
  for (const char* k : {"host", "cpu_model", "cores", "kernel", "compiler", "build_type", "boost",
                        "tbb", "git", "started_at", "cpu_rounds_per_ns", "wakeup_cpu_us"}) {
    EXPECT_TRUE(doc["context"].contains(k)) << "context." << k;
  }
  const auto& run = doc["runs"][0];
  for (const char* k :
       {"model", "offload", "threads", "workload", "scenario", "arrival", "concurrency", "rate",
        "duration_s", "completed", "errors", "throughput_per_s", "latency_us", "stall_us", "cpu_s",
        "ctx_switches", "rss_peak_kb", "status", "error"}) {
    EXPECT_TRUE(run.contains(k)) << k;
  }
  for (const char* k : {"p50", "p90", "p99", "p999", "max", "mean"}) {
    EXPECT_TRUE(run["latency_us"].contains(k)) << "latency_us." << k;
  }
  for (const char* k : {"p99", "max", "count_over_threshold", "threshold_us", "total_ms"}) {
    EXPECT_TRUE(run["stall_us"].contains(k)) << "stall_us." << k;
  }
  EXPECT_TRUE(run["cpu_s"].contains("user"));
  EXPECT_TRUE(run["cpu_s"].contains("sys"));
  EXPECT_TRUE(run["ctx_switches"].contains("voluntary"));
  EXPECT_TRUE(run["ctx_switches"].contains("involuntary"));
  EXPECT_EQ(run["arrival"], "closed");
  EXPECT_EQ(run["status"], "error");
}

TEST(Results, RoundTrips) {
  const results a = sample();
  const results b = results_from_json_text(to_json_text(a), "mem");
  ASSERT_EQ(b.runs.size(), 1u);
  EXPECT_EQ(b.runs[0].config.model, "loop");
  EXPECT_EQ(b.runs[0].completed, 1234u);
  EXPECT_DOUBLE_EQ(b.runs[0].latency.p99, 10400);
  EXPECT_EQ(b.runs[0].status, run_status::error);
  EXPECT_EQ(b.runs[0].error, a.runs[0].error);
  EXPECT_EQ(b.runs[0].model_facts, a.runs[0].model_facts);
  EXPECT_EQ(b.context.host, a.context.host);
  EXPECT_DOUBLE_EQ(b.context.wakeup_cpu_us, 40.5);
  EXPECT_EQ(b.runs[0].rss_peak_kb, a.runs[0].rss_peak_kb);
  EXPECT_EQ(b.runs[0].rss_start_kb, a.runs[0].rss_start_kb);
}

// A suite rewrites results.json after every run from runs rendered once: the
// file must come out exactly as a rendering of the whole document would.
TEST(Results, RewriteFromRenderedRunsMatchesAFullRendering) {
  results r = sample();
  r.warnings.push_back("a warning that quotes a key: \"runs\": []");
  std::vector<std::string> rendered;
  results none = r;
  none.runs.clear();
  EXPECT_EQ(to_json_text(none, rendered), to_json_text(none));
  EXPECT_EQ(to_json_text(r, rendered), to_json_text(r));
  ASSERT_EQ(rendered.size(), 1u);
  run_record more = r.runs[0];
  more.config.model = "asio";
  more.error = "two\nlines";
  more.stall_log = {{1.5, 52, 7, "block", 1}, {3, 2, -1, "", -1}};
  more.series = {100, {0, 100}, {10, 12}, {10400, 9800}, {250, 0}};
  more.model_facts.clear();
  r.runs.push_back(more);
  r.runs.push_back(more);
  EXPECT_EQ(to_json_text(r, rendered), to_json_text(r));
  EXPECT_EQ(rendered.size(), 3u);
  config_summary s;
  s.key = more.config;
  s.n = 2;
  r.summaries.push_back(s);
  EXPECT_EQ(to_json_text(r, rendered), to_json_text(r));
}

TEST(Results, CsvFlattensNestedFields) {
  const std::string csv = to_summary_csv(sample());
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const char* col : {"latency_p99_us", "stall_max_us", "cpu_user_s", "throughput_per_s",
                          "rss_peak_kb", "status", "error"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col;
  }
  EXPECT_NE(csv.find("\"something, with \"\"quotes\"\"\""), std::string::npos);
}

TEST(Results, RejectsFilesThatAreNotResults) {
  EXPECT_THROW(results_from_json_text("{nope", "x.json"), config_error);
  EXPECT_THROW(results_from_json_text("{\"schema\": \"other\"}", "x.json"), config_error);
  try {
    results_from_json_text("[1,2]", "x.json");
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find("results file 'x.json'"), std::string::npos);
  }
}

TEST(Results, RunDirectoryIsNeverOverwrittenAndLatestFollows) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("ccbench-test-" + std::to_string(getpid()));
  fs::remove_all(root);
  write_run_directory(root / "a", sample());
  EXPECT_TRUE(fs::exists(root / "a" / "results.json"));
  EXPECT_TRUE(fs::exists(root / "a" / "summary.csv"));
  EXPECT_EQ(fs::read_symlink(root / "latest"), "a");
  EXPECT_THROW(check_new_run_directory(root / "a", "--out"), config_error);
  EXPECT_THROW(write_run_directory(root / "a", sample()), config_error);
  write_run_directory(root / "b", sample());
  EXPECT_EQ(fs::read_symlink(root / "latest"), "b");
  EXPECT_EQ(read_results(root / "a").run_id, "test-run");
  fs::remove_all(root);
}

}  // namespace
}  // namespace ccbench
