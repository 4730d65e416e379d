// The suite and its reporters: records carry their model's traits, the files
// follow every run, and a file that cannot be written after runs started is an
// io_error (exit status 4), not bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/cli/console_reporters.hpp"
#include "harness/cli/file_reporters.hpp"
#include "harness/cli/registry.hpp"
#include "harness/cli/suite.hpp"
#include "harness/error.hpp"
#include "harness/results_json.hpp"
#include "harness/summary_csv.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh, empty directory of this test's own.
fs::path scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ccbench-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

run_config tiny_run(const std::string& model) {
  run_config c;
  c.model = model;
  c.options.threads = 2;
  c.workload = workload::parse("io:1ms").text();
  c.concurrency = 4;
  c.warmup = std::chrono::milliseconds(20);
  c.duration = std::chrono::milliseconds(60);
  return c;
}

suite_options quiet_in_process() {
  suite_options o;
  o.quiet = true;
  o.in_process = true;
  return o;
}

TEST(Suite, RecordsCarryTheirModelsTraits) {
  const fs::path dir = scratch("traits");
  suite_plan plan;
  plan.runs = {tiny_run("loop"), tiny_run("pool")};
  suite_options opts = quiet_in_process();
  opts.json = dir / "r.json";
  EXPECT_EQ(run_suite(plan, opts), 0);
  const results r = read_results(dir / "r.json");
  ASSERT_EQ(r.runs.size(), 2u);
  for (const run_record& rec : r.runs) {
    const model_traits& want = find_model(rec.config.model)->traits;
    EXPECT_EQ(rec.traits.uses_threads, want.uses_threads) << rec.config.model;
    EXPECT_EQ(rec.traits.cooperative, want.cooperative) << rec.config.model;
    EXPECT_EQ(rec.traits.offload_thread, want.offload_thread) << rec.config.model;
    EXPECT_EQ(rec.traits.sweep_threads, want.sweep_threads) << rec.config.model;
    EXPECT_EQ(rec.traits.order, want.order) << rec.config.model;
    EXPECT_EQ(rec.traits.color, want.color) << rec.config.model;
    EXPECT_EQ(rec.traits.marker, want.marker) << rec.config.model;
  }
  fs::remove_all(dir);
}

// A full disk after N runs is not bad input: the suite throws io_error, which
// main() turns into exit status 4.
TEST(Suite, AResultsFileThatCannotBeWrittenAfterRunsStartedIsAnIoError) {
  const fs::path dir = scratch("gone");
  suite_plan plan;
  plan.runs = {tiny_run("loop"), tiny_run("loop")};
  plan.skip = [&](const run_config&, const std::vector<run_record>& done) {
    if (done.size() == 1) fs::remove_all(dir);  // after the first run's file was written
    return false;
  };
  suite_options opts = quiet_in_process();
  opts.json = dir / "r.json";
  EXPECT_THROW(run_suite(plan, opts), io_error);
}

TEST(Suite, OutputsThatCannotWorkAreBadInputBeforeAnythingRuns) {
  const fs::path dir = scratch("exists");
  suite_plan plan;
  plan.runs = {tiny_run("loop")};
  suite_options opts = quiet_in_process();
  opts.out = dir;
  EXPECT_THROW(run_suite(plan, opts), config_error);
  opts.out.reset();
  opts.json = dir / "missing" / "r.json";
  EXPECT_THROW(run_suite(plan, opts), config_error);
  fs::remove_all(dir);
}

results three_runs() {
  results r;
  r.run_id = "reporters";
  for (const char* model : {"loop", "pool", "asio"}) {
    run_record rec;
    rec.config = tiny_run(model);
    rec.traits = find_model(model)->traits;
    rec.completed = 10;
    rec.latency.p99 = 1500;
    r.runs.push_back(rec);
  }
  return r;
}

// Fed run by run, the file reporters leave what a whole rendering would.
TEST(Reporters, FilesFollowEveryRun) {
  const fs::path dir = scratch("files");
  const results all = three_runs();
  std::ostringstream log;
  json_file_reporter json(dir / "r.json", &log);
  run_directory_reporter out(dir / "run", nullptr);
  suite_plan plan;
  results so_far = all;
  so_far.runs.clear();
  out.on_start(plan, so_far);
  for (const run_record& rec : all.runs) {
    so_far.runs.push_back(rec);
    const run_position at{so_far.runs.size(), all.runs.size(), false, 0};
    json.on_run(rec, at, so_far);
    out.on_run(rec, at, so_far);
    EXPECT_EQ(read_file(dir / "r.json"), to_json_text(so_far));
    EXPECT_EQ(read_file(dir / "run" / "results.json"), to_json_text(so_far));
    EXPECT_EQ(read_file(dir / "run" / "summary.csv"), to_summary_csv(so_far));
  }
  so_far.warnings.push_back("added at the end");
  json.on_end(so_far);
  out.on_end(so_far);
  EXPECT_EQ(read_file(dir / "r.json"), to_json_text(so_far));
  EXPECT_EQ(read_file(dir / "run" / "results.json"), to_json_text(so_far));
  EXPECT_EQ(log.str(), "ccbench: wrote " + (dir / "r.json").string() + "\n");
  EXPECT_EQ(fs::read_symlink(dir / "latest"), "run");
  fs::remove_all(dir);
}

// The console shows a model's threads only when they size it, as its traits say.
TEST(Reporters, ConsoleUsesTheRecordsTraits) {
  results r = three_runs();
  r.runs[1].traits.uses_threads = false;  // pool, said to be one thread
  std::ostringstream progress_text, table_text;
  progress_reporter progress(progress_text);
  console_table_reporter table(table_text);
  const run_position at{2, 3, false, 0};
  progress.on_run_started(r.runs[1].config, r.runs[1].traits, at);
  progress.on_run(r.runs[1], at, r);
  EXPECT_EQ(progress_text.str().rfind("[2/3] pool  io:1ms  c=4  ", 0), 0u) << progress_text.str();
  table.on_end(r);
  std::istringstream lines(table_text.str());
  std::string header, loop, pool;
  std::getline(lines, header);
  std::getline(lines, loop);
  std::getline(lines, pool);
  EXPECT_EQ(loop.rfind("loop   none           -", 0), 0u) << table_text.str();
  EXPECT_EQ(pool.rfind("pool   none           -", 0), 0u) << table_text.str();
}

}  // namespace
}  // namespace ccbench
