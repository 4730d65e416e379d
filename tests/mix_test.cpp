// Request classes (--mix, --workload-file): the mix syntax and its errors,
// the classes drawn per task in their shares, and the per-class records in
// results.json and summary.csv.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/cli/registry.hpp"
#include "harness/error.hpp"
#include "harness/hgrm.hpp"
#include "harness/result_fields.hpp"
#include "harness/results_json.hpp"
#include "harness/run_context.hpp"
#include "harness/runner.hpp"
#include "harness/step_source.hpp"
#include "harness/summary_csv.hpp"
#include "harness/workload.hpp"
#include "harness/workload_file.hpp"
#include "tests/test_util.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

using testing_util::config_error_of;

TEST(Mix, ParsesClassesWithWeightsAndTheSpecLanguage) {
  const workload w = workload::parse_mix(" api[90]=io:~5ms, cpu:50us ; report[10]=cpu:20ms@50%");
  ASSERT_EQ(w.classes().size(), 2u);
  EXPECT_EQ(w.classes()[0].name, "api");
  EXPECT_EQ(w.classes()[0].weight, 90);
  EXPECT_EQ(w.classes()[0].first, 0u);
  EXPECT_EQ(w.classes()[0].count, 2u);
  EXPECT_EQ(w.classes()[1].name, "report");
  EXPECT_EQ(w.classes()[1].first, 2u);
  EXPECT_EQ(w.classes()[1].count, 1u);
  EXPECT_TRUE(w.steps()[0].exponential);
  EXPECT_DOUBLE_EQ(w.steps()[2].percent, 50);
  EXPECT_EQ(w.text(), "api[90]=io:~5ms,cpu:50us;report[10]=cpu:20ms@50%");
  EXPECT_EQ(workload::parse(w.text()).text(), w.text()) << "the canonical text parses as itself";
  EXPECT_DOUBLE_EQ(w.share(0), 0.9);
  EXPECT_DOUBLE_EQ(w.share(1), 0.1);
  EXPECT_EQ(w.class_task_time(0), 5050us);
  EXPECT_EQ(w.class_task_time(1), 10ms);
  // Each kind's time weighted by its class's share.
  EXPECT_EQ(w.mean_time(step_kind::io), 4500us);
  EXPECT_EQ(w.mean_time(step_kind::cpu), 45us + 1ms);
  EXPECT_EQ(w.class_of_step(1), 0u);
  EXPECT_EQ(w.class_of_step(2), 1u);
  // A weight left out is 1; a plain spec has no classes.
  EXPECT_EQ(workload::parse_mix("a=io:1ms;b[3]=io:2ms").share(0), 0.25);
  EXPECT_TRUE(workload::parse("io:1ms").classes().empty());
}

TEST(Mix, BadMixesNameTheirPart) {
  const std::map<std::string, std::string> bad = {
      {"api[0]=io:1ms",
       "bad mix 'api[0]=io:1ms': class 'api': weight '0' is not a positive number"},
      {"api[-2]=io:1ms;b=io:1ms", "class 'api': weight '-2' is not a positive number"},
      {"api[x]=io:1ms", "class 'api': weight 'x' is not a positive number"},
      {"api[]=io:1ms", "class 'api': weight '' is not a positive number"},
      {"api[1=io:1ms", "the weight must end in ']'"},
      {"[5]=io:1ms", "class 1 has an empty name"},
      {"a=io:1ms;=io:2ms", "class 2 has an empty name"},
      {"api=io:1ms;api=io:2ms", "duplicate class name 'api'"},
      {"api=;b=io:1ms", "class 'api' is empty"},
      {"api=io:1ms;;b=io:1ms", "class 2 is empty"},
      {"api io:1ms;b=io:2ms", "class 1 'api io:1ms' has no '='"},
      {"api=io:1ms;report=disk:2ms", "class 'report': unknown step kind 'disk'"},
      {"api=io:10xs", "class 'api': unknown unit 'xs'"},
      {"a b=io:1ms", "class name 'a b' may hold only"},
      {"", "bad mix '': empty"},
  };
  for (const auto& [mix, want] : bad) {
    const std::string what = config_error_of([&] { workload::parse_mix(mix); });
    EXPECT_NE(what.find(want), std::string::npos) << mix << " -> " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(Mix, WorkloadFileBecomesTheMix) {
  const workload_file f = parse_workload_file(R"({
    "name": "checkout", "description": "the service",
    "classes": [ {"name": "api", "weight": 90, "steps": "io:5ms,cpu:50us"},
                 {"name": "report", "weight": 10.5, "steps": ["cpu:~20ms", "block:1ms@5%"]},
                 {"name": "health", "steps": "io:100us"} ] })",
                                              "svc.json");
  EXPECT_EQ(f.name, "checkout");
  EXPECT_EQ(f.mix,
            "api[90]=io:5ms,cpu:50us;report[10.5]=cpu:~20ms,block:1ms@5%;health[1]=io:100us");
}

TEST(Mix, BadWorkloadFilesNameTheirPart) {
  const std::map<std::string, std::string> bad = {
      {R"({"classes": [{"name": "api", "steps": "io:1ms", "wieght": 3}]})",
       "bad workload file 'f.json': unknown field 'wieght' in class 'api'"},
      {R"({"clases": []})", "unknown field 'clases'"},
      {R"({"classes": []})", "\"classes\" must be a list of one class or more"},
      {R"({"classes": [{"name": "api", "weight": 0, "steps": "io:1ms"}]})",
       "class 'api': weight 0 is not a positive number"},
      {R"({"classes": [{"name": "api", "weight": "9", "steps": "io:1ms"}]})",
       "class 'api': weight \"9\" is not a positive number"},
      {R"({"classes": [{"name": "", "steps": "io:1ms"}]})", "class 1 has an empty name"},
      {R"({"classes": [{"steps": "io:1ms"}]})", "class 1 needs a \"name\""},
      {R"({"classes": [{"name": "a", "steps": "io:1ms"}, {"name": "a", "steps": "io:2ms"}]})",
       "duplicate class name 'a'"},
      {R"({"classes": [{"name": "a", "steps": ""}]})", "class 'a' is empty"},
      {R"({"classes": [{"name": "a"}]})", "class 'a' has no \"steps\""},
      {R"({"classes": [{"name": "a", "steps": "io:1zs"}]})", "class 'a': unknown unit 'zs'"},
      {R"({nope)", "bad workload file 'f.json': not valid JSON"},
  };
  for (const auto& [text, want] : bad) {
    const std::string what = config_error_of([&] { parse_workload_file(text, "f.json"); });
    EXPECT_NE(what.find(want), std::string::npos) << text << " -> " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(Mix, ClassSharesAreRecoveredOverManyTasks) {
  const step_source src(workload::parse("a[70]=io:1ms;b[20]=cpu:10us;c[10]=block:1ms,io:1ms"), 42,
                        1.0);
  const step_source again(workload::parse("a[70]=io:1ms;b[20]=cpu:10us;c[10]=block:1ms,io:1ms"), 42,
                          1.0);
  constexpr int n = 200'000;
  std::size_t count[3] = {};
  const std::vector<std::vector<step_kind>> want = {
      {step_kind::io}, {step_kind::cpu}, {step_kind::block, step_kind::io}};
  for (std::uint64_t id = 0; id < n; ++id) {
    const std::size_t c = src.class_of(id);
    ASSERT_LT(c, 3u);
    ASSERT_EQ(c, again.class_of(id)) << "drawn from the seed and the id alone";
    ++count[c];
    // The task runs its class's steps and no other's.
    std::vector<step_kind> kinds;
    for (const step& s : task_steps(src, id)) kinds.push_back(s.kind);
    EXPECT_EQ(kinds, want[c]) << "task " << id << " of class " << c;
    if (::testing::Test::HasFailure()) break;
  }
  // Binomial standard deviation at n = 200,000 is under 0.11 percentage points.
  EXPECT_NEAR(count[0] / double(n), 0.70, 0.005);
  EXPECT_NEAR(count[1] / double(n), 0.20, 0.005);
  EXPECT_NEAR(count[2] / double(n), 0.10, 0.005);
  // Another seed draws other classes.
  const step_source other(workload::parse("a[70]=io:1ms;b[20]=cpu:10us;c[10]=block:1ms,io:1ms"), 43,
                          1.0);
  int differ = 0;
  for (std::uint64_t id = 0; id < 1000; ++id) differ += other.class_of(id) != src.class_of(id);
  EXPECT_GT(differ, 200);
}

// A real short run of the loop: each class is measured on its own, and its
// records reach results.json and summary.csv.
TEST(Mix, RunRecordsEachClassInJsonAndCsv) {
  run_config c;
  c.model = std::string(default_model().name);
  c.workload = workload::parse_mix("fast[80]=io:1ms;slow[20]=io:20ms").text();
  c.concurrency = 20;
  c.warmup = 50ms;
  c.duration = 300ms;
  const run_record r = run_in_process(c, default_model().make, 1.0);
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  ASSERT_EQ(r.classes.size(), 2u);
  const class_result& fast = r.classes[0];
  const class_result& slow = r.classes[1];
  EXPECT_EQ(fast.name, "fast");
  EXPECT_EQ(slow.name, "slow");
  EXPECT_EQ(fast.completed + slow.completed, r.completed);
  EXPECT_EQ(fast.drained + slow.drained, r.drained);
  EXPECT_EQ(fast.latency.count + slow.latency.count, r.latency.count);
  EXPECT_GT(fast.completed, slow.completed);
  EXPECT_GE(fast.latency.p50, 1000);
  EXPECT_LT(fast.latency.p50, 15000) << "a 1 ms class is not timed as the 20 ms one";
  EXPECT_GE(slow.latency.p50, 20000);
  EXPECT_DOUBLE_EQ(fast.task_mean_us, 1000);
  // Each class carries its histogram: its counts add up to the class's samples.
  for (const class_result& k : r.classes) {
    std::uint64_t n = 0;
    for (std::uint64_t x : k.latency_bucket_count) n += x;
    EXPECT_EQ(n, k.latency.count) << k.name;
    EXPECT_NE(latency_hgrm(k).find("Total count    = "), std::string::npos);
  }
  EXPECT_EQ(hgrm_file_name(0, r, "slow"), "001-loop-none-c20-slow.hgrm");
  EXPECT_DOUBLE_EQ(slow.share, 0.2);

  results doc;
  doc.runs.push_back(r);
  const auto json = nlohmann::json::parse(to_json_text(doc));
  const auto& classes = json["runs"][0]["classes"];
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[1]["name"], "slow");
  EXPECT_EQ(classes[1]["completed"], slow.completed);
  EXPECT_DOUBLE_EQ(classes[1]["latency_us"]["p99"].get<double>(), slow.latency.p99);
  EXPECT_TRUE(classes[0].contains("stall_log_share"));
  const results back = results_from_json_text(to_json_text(doc), "mem");
  EXPECT_EQ(back.runs[0].classes, r.classes) << "read back as written";

  // summary.csv: one column per class field, the classes joined by ';'.
  const std::string header = summary_csv_header();
  const std::string row = summary_csv_row(r);
  EXPECT_NE(header.find("class_name,class_weight"), std::string::npos) << header;
  EXPECT_NE(row.find("fast;slow,80;20"), std::string::npos) << row;
  EXPECT_NE(row.find(std::to_string(fast.completed) + ";" + std::to_string(slow.completed)),
            std::string::npos)
      << row;

  // A plain workload has no classes in the file at all.
  run_record plain = r;
  plain.classes.clear();
  results doc2;
  doc2.runs.push_back(plain);
  EXPECT_FALSE(nlohmann::json::parse(to_json_text(doc2))["runs"][0].contains("classes"));
}

}  // namespace
}  // namespace ccbench
