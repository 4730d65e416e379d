// results.json and summary.csv carry every field of the schema (harness/result_fields.cpp),
// read back, and match what results/README.md documents.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <type_traits>

#include "harness/error.hpp"
#include "harness/result_fields.hpp"
#include "harness/results_json.hpp"
#include "harness/run_directory.hpp"
#include "harness/summary_csv.hpp"
#include "tests/test_util.hpp"

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

// A value of `f`'s kind, different from `before` (the default record's), and
// one that reads back as itself.
field_value sample_value(const run_field& f, std::size_t i, const field_value& before) {
  const double n = static_cast<double>(i);
  switch (f.kind) {
    case field_kind::flag:
      return !(std::holds_alternative<bool>(before) && std::get<bool>(before));
    case field_kind::integer:
      return static_cast<std::int64_t>(100 + i);
    case field_kind::count:
      return static_cast<std::uint64_t>(1000 + i);
    case field_kind::number:
      return 0.25 + n;  // exact in binary, and in nanoseconds for the durations
    case field_kind::text:
      if (!f.choices.empty()) return std::string(f.choices.back());
      return "text of " + std::string(f.path) + ", \"quoted\"";
    case field_kind::numbers:
      return std::vector<double>{0.5, 1.5 + n};
    case field_kind::counts:
      return std::vector<std::uint64_t>{1, 2 + i};
    case field_kind::texts:
      if (!f.choices.empty()) return std::vector<std::string>(f.choices.begin(), f.choices.end());
      return std::vector<std::string>{"a", "b"};
    case field_kind::stall_events:
      return std::vector<stall_event>{{1.5, 52, 7, "block", 1}, {-3, 2, -1, "", -1}};
    case field_kind::facts:
      return std::vector<model_fact>{{"offload_threads", 6.0}, {"tbb", std::string("2022.0.0")}};
    case field_kind::classes: {
      class_result a, b;
      a.name = "api";
      a.weight = 90;
      a.share = 0.9;
      a.completed = 900 + i;
      a.latency.p99 = 2500.5;
      b.name = "report";
      b.weight = 10;
      b.stall_log_share = 0.75;
      return std::vector<class_result>{a, b};
    }
  }
  return std::monostate{};
}

// A record with every field that can be read set to a value of its own.
run_record record_with_every_field() {
  const run_record defaults;
  run_record r;
  std::size_t i = 0;
  for (const run_field& f : run_fields()) {
    if (f.set != nullptr) f.set(r, sample_value(f, i++, f.get(defaults)));
  }
  return r;
}

// The value at `path` of a parsed JSON object, or nullptr.
const nlohmann::json* at_path(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* node = &root;
  std::stringstream parts(path);
  for (std::string key; std::getline(parts, key, '.');) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

void expect_same_fields(const run_record& a, const run_record& b, const std::string& how) {
  for (const run_field& f : run_fields()) {
    EXPECT_EQ(f.get(a), f.get(b)) << f.path << " after " << how;
  }
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

// Driven by the table: a field added to it is tested here without a new line.
TEST(Results, EveryFieldSurvivesAJsonRoundTrip) {
  const run_record defaults;
  const run_record r = record_with_every_field();
  std::size_t i = 0;
  for (const run_field& f : run_fields()) {
    if (f.set == nullptr) continue;
    const field_value want = sample_value(f, i++, f.get(defaults));
    EXPECT_EQ(f.get(r), want) << f.path << ": its setter and getter disagree";
    EXPECT_NE(f.get(r), f.get(defaults)) << f.path << ": the sample is the default";
  }

  const std::string line = record_to_json_text(r);
  const auto parsed = nlohmann::json::parse(line);
  for (const run_field& f : run_fields()) {
    EXPECT_NE(at_path(parsed, std::string(f.path)), nullptr) << f.path << " is not written";
  }
  expect_same_fields(r, record_from_json_text(line), "record_to_json_text");

  results doc;
  doc.runs = {r, r};
  const results back = results_from_json_text(to_json_text(doc), "mem");
  ASSERT_EQ(back.runs.size(), 2u);
  expect_same_fields(r, back.runs[1], "to_json_text");
}

// Nulls: -1 for "not applicable", "" for "none", objects that are absent.
TEST(Results, DefaultFieldsSurviveAJsonRoundTrip) {
  run_record r;
  r.config.model = "loop";
  r.config.workload = "io:1ms";
  const std::string line = record_to_json_text(r);
  expect_same_fields(r, record_from_json_text(line), "record_to_json_text");
  const auto j = nlohmann::json::parse(line);
  EXPECT_TRUE(j["generator_lag_ms"].is_null());
  EXPECT_TRUE(j["busy_ratio"].is_null());
  EXPECT_TRUE(j["slow_resumes"].is_null());
  EXPECT_TRUE(j["queue_wait_us"].is_null());
  EXPECT_TRUE(j["cpu_window_s"]["user"].is_null());
  EXPECT_TRUE(j["cpu_window_s"]["sys"].is_null());
  EXPECT_TRUE(j["workers_pss_kb"].is_null());
  EXPECT_TRUE(j["model_traits"]["marker"].is_null());
  EXPECT_EQ(j["model_traits"]["colors"], nlohmann::json::object());
  EXPECT_EQ(j["model_traits"]["offload"], nlohmann::json::array({"none"}));
}

TEST(Results, ModelTraitsAreWrittenAsTheSchemaSays) {
  run_record r = sample().runs[0];
  r.traits.uses_threads = false;
  r.traits.cooperative = true;
  r.traits.offload_thread = true;
  r.traits.offload_process = false;
  r.traits.sweep = false;
  r.traits.sweep_threads = thread_sizing::per_task;
  r.traits.order = 3;
  r.traits.color = "#112233";
  r.traits.color_process = "#445566";
  r.traits.marker = "s";
  const auto t = nlohmann::json::parse(record_to_json_text(r))["model_traits"];
  EXPECT_EQ(t, nlohmann::json::parse(R"({"uses_threads": false, "cooperative": true,
      "offload": ["none", "thread"], "sweep": false, "sweep_threads": "per_task", "order": 3,
      "colors": {"none": "#112233", "process": "#445566"}, "marker": "s"})"));
  const run_record back = record_from_json_text(record_to_json_text(r));
  EXPECT_TRUE(back.traits.offload_thread);
  EXPECT_FALSE(back.traits.offload_process);
  EXPECT_EQ(back.traits.color_thread, "");
  EXPECT_EQ(back.traits.color_process, "#445566");
  EXPECT_EQ(back.traits.sweep_threads, thread_sizing::per_task);
}

TEST(Results, ModelFactsKeepTheirTypes) {
  run_record r = sample().runs[0];
  r.model_facts = {{"offload_threads", 6.0},
                   {"ratio", 0.125},
                   {"tbb", std::string("2022.0.0")},
                   {"looks_like_a_number", std::string("6")}};
  const std::string line = record_to_json_text(r);
  const auto facts = nlohmann::json::parse(line)["model_facts"];
  EXPECT_TRUE(facts["offload_threads"].is_number());
  EXPECT_TRUE(facts["ratio"].is_number());
  EXPECT_TRUE(facts["tbb"].is_string());
  EXPECT_TRUE(facts["looks_like_a_number"].is_string());
  EXPECT_EQ(record_from_json_text(line).model_facts, r.model_facts);
}

// A suite rewrites results.json after every run from runs rendered once: the
// file must come out exactly as a rendering of the whole document would.
TEST(Results, RewriteFromRenderedRunsMatchesAFullRendering) {
  results r = sample();
  r.warnings.push_back("a warning that quotes a key: \"runs\": []");
  r.warnings.push_back("and one on\ntwo lines");
  const run_record every = record_with_every_field();
  std::vector<run_record> runs = {r.runs[0], every, r.runs[0], every, run_record{}};
  runs[2].config.model = "asio";
  runs[2].error = "two\nlines";
  runs[2].stall_log = {{1.5, 52, 7, "block", 1}, {3, 2, -1, "", -1}};
  runs[2].series = {100, {0, 100}, {10, 12}, {10400, 9800}, {250, 0}};
  runs[4].config.model = "pool";
  runs[4].config.workload = "cpu:1ms";
  r.runs.clear();
  std::vector<std::string> rendered;
  EXPECT_EQ(to_json_text(r, rendered), to_json_text(r));
  for (std::size_t n = 1; n <= runs.size(); ++n) {
    r.runs.push_back(runs[n - 1]);
    EXPECT_EQ(to_json_text(r, rendered), to_json_text(r)) << "after " << n << " runs";
    EXPECT_EQ(rendered.size(), n);
  }
  config_summary s;
  s.key = runs[2].config;
  s.n = 2;
  s.throughput.samples = {1, 2};
  r.summaries.push_back(s);
  EXPECT_EQ(to_json_text(r, rendered), to_json_text(r)) << "with a summary";
  // A shorter list than was rendered starts over.
  r.runs.resize(2);
  EXPECT_EQ(to_json_text(r, rendered), to_json_text(r)) << "after the runs shrank";
}

// latency_ci_us: an unbounded side is written null and read back as such; a
// file from before intervals has none (confidence 0), not an unbounded one.
TEST(Results, PercentileIntervalsKeepTheirUnboundedSides) {
  run_record rec = sample().runs[0];
  rec.latency_ci = {0.95, {900, 1100}, {1800, 2300}, {9000, -1}, {-1, -1}};
  const auto json = nlohmann::json::parse(record_to_json_text(rec));
  EXPECT_EQ(json["latency_ci_us"]["p99"]["low"], 9000);
  EXPECT_TRUE(json["latency_ci_us"]["p99"]["high"].is_null());
  EXPECT_TRUE(json["latency_ci_us"]["p999"]["low"].is_null());
  const run_record back = record_from_json_text(json.dump());
  EXPECT_EQ(back.latency_ci.confidence, 0.95);
  EXPECT_EQ(back.latency_ci.p50.low, 900);
  EXPECT_EQ(back.latency_ci.p99.high, -1);
  EXPECT_TRUE(json["precision"].is_null()) << "no --precision";
  auto old = json;
  old.erase("latency_ci_us");
  EXPECT_EQ(record_from_json_text(old.dump()).latency_ci.confidence, 0);
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

// Columns are only ever added at the end: scripts read summary.csv by position too.
TEST(Results, CsvKeepsItsColumnsInTheirOrder) {
  const std::string before =
      "model,offload,threads,workload,scenario,arrival,concurrency,rate,duration_s,repetition,"
      "completed,drained,errors,throughput_per_s,offered_per_s,latency_p50_us,latency_p90_us,"
      "latency_p99_us,latency_p999_us,latency_max_us,latency_mean_us,latency_min_us,stall_p50_us,"
      "stall_p99_us,stall_max_us,stall_count_over_threshold,stall_threshold_us,stall_total_ms,"
      "cpu_user_s,cpu_sys_s,ctx_switches_voluntary,ctx_switches_involuntary,rss_peak_kb,status,"
      "error";
  const std::string header = summary_csv_header();
  EXPECT_EQ(header.substr(0, before.size()), before);
  EXPECT_EQ(header.substr(before.size()),
            ",cpu_window_user_s,cpu_window_sys_s,ramp_ms,workers_pss_kb,"
            "latency_p50_ci_low_us,latency_p50_ci_high_us,latency_p90_ci_low_us,"
            "latency_p90_ci_high_us,latency_p99_ci_low_us,latency_p99_ci_high_us,"
            "latency_p999_ci_low_us,latency_p999_ci_high_us,precision_target_pct,"
            "precision_reached_pct,class_name,class_weight,"
            "class_share,class_completed,class_latency_p50_us,class_latency_p90_us,"
            "class_latency_p99_us,class_latency_p999_us,class_latency_max_us,"
            "class_stall_log_share,slo,slo_met,slo_worst,host_steal_s,"
            "host_foreign_cpu_s,host_cpus,cpus,net_server_cpu_per_request_us,"
            "net_server_lateness_p99_us");
}

// Splits one CSV line (no newlines inside quotes) into its cells, unquoted.
std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

TEST(Results, CsvHeaderAndRowsFollowTheTable) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const run_field& f : run_fields()) {
    if (f.column.empty()) continue;
    if (f.kind == field_kind::classes) {  // spread over the class fields' columns
      for (const field<class_result>& k : class_fields()) {
        if (!k.column.empty()) columns.emplace_back(k.column);
      }
      continue;
    }
    columns.emplace_back(f.column);
    EXPECT_TRUE(seen.insert(std::string(f.column)).second) << "column twice: " << f.column;
    EXPECT_TRUE(f.kind != field_kind::numbers && f.kind != field_kind::counts &&
                f.kind != field_kind::texts && f.kind != field_kind::stall_events &&
                f.kind != field_kind::facts)
        << f.path << ": a list has no summary.csv column";
  }
  EXPECT_EQ(csv_cells(summary_csv_header()), columns);

  const run_record r = record_with_every_field();
  const std::vector<std::string> cells = csv_cells(summary_csv_row(r));
  ASSERT_EQ(cells.size(), columns.size());
  std::size_t i = 0;
  for (const run_field& f : run_fields()) {
    if (f.column.empty()) continue;
    if (f.kind == field_kind::classes) {
      EXPECT_EQ(cells[i], "api;report") << "class_name";
      for (const field<class_result>& k : class_fields()) i += !k.column.empty();
      continue;
    }
    const std::string& cell = cells[i++];
    const field_value v = f.get(r);
    if (const auto* s = std::get_if<std::string>(&v)) {
      EXPECT_EQ(cell, *s) << f.column;
    } else if (const auto* d = std::get_if<double>(&v)) {
      EXPECT_DOUBLE_EQ(std::stod(cell), *d) << f.column;
    } else if (const auto* u = std::get_if<std::uint64_t>(&v)) {
      EXPECT_EQ(cell, std::to_string(*u)) << f.column;
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      EXPECT_EQ(cell, std::to_string(*n)) << f.column;
    } else if (const auto* b = std::get_if<bool>(&v)) {
      EXPECT_EQ(cell, *b ? "true" : "false") << f.column;
    } else {
      ADD_FAILURE() << f.column << ": unexpected value kind";
    }
  }

  // Null is an empty cell.
  run_record nulls = r;
  nulls.workers_pss_kb = -1;
  nulls.cpu_window_user_s = -1;
  const std::vector<std::string> blank = csv_cells(summary_csv_row(nulls));
  ASSERT_EQ(blank.size(), columns.size());
  for (std::size_t k = 0; k < columns.size(); ++k) {
    if (columns[k] == "workers_pss_kb" || columns[k] == "cpu_window_user_s") {
      EXPECT_EQ(blank[k], "") << columns[k];
    }
  }
}

using testing_util::config_error_of;

TEST(Results, RejectsFilesThatAreNotResults) {
  for (const char* text : {
           "{nope",
           "[1,2]",
           R"({"schema": "other"})",
           R"({"schema": "ccbench.results/1", "runs": [{"workload": "io:1ms"}]})",
           R"({"schema": "ccbench.results/1", "runs": [{"model": 3, "workload": "io:1ms"}]})",
           R"({"schema": "ccbench.results/1", "runs": [{"model": "loop", "workload": "io:1ms",
               "offload": "gpu"}]})",
       }) {
    const std::string what = config_error_of([&] { results_from_json_text(text, "x.json"); });
    EXPECT_NE(what.find("results file 'x.json'"), std::string::npos) << text << ": " << what;
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

// Once runs have started, a results file that cannot be written is not bad
// input: main() exits 4 for an io_error, 2 for a config_error.
TEST(Results, WritingIntoARemovedDirectoryIsAnIoError) {
  namespace fs = std::filesystem;
  static_assert(!std::is_base_of_v<config_error, io_error>);
  const fs::path dir = fs::temp_directory_path() / ("ccbench-gone-" + std::to_string(getpid()));
  fs::remove_all(dir);
  create_run_directory(dir);
  write_results_files(dir, sample());
  fs::remove_all(dir);
  EXPECT_THROW(write_results_files(dir, sample()), io_error);
  try {
    write_file_atomic(dir / "results.json", "{}");
    ADD_FAILURE() << "no io_error was thrown";
  } catch (const io_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '" + (dir / "results.json").string() + "'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir));
}

// results/README.md, as the schema test reads it: each table row's backquoted
// names (first column) and its description (the rest).
struct documented_row {
  std::vector<std::string> names;
  std::string meaning;
};

std::string readme_text() {
  std::ifstream in(std::filesystem::path(CCBENCH_SOURCE_DIR) / "results" / "README.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The rows of the tables under the heading `heading`, up to the next heading.
std::vector<documented_row> documented_rows(const std::string& readme, const std::string& heading) {
  std::vector<documented_row> rows;
  const std::size_t start = readme.find("\n" + heading);
  if (start == std::string::npos) return rows;
  std::stringstream lines(readme.substr(start + 1 + heading.size()));
  const std::regex quoted("`([^`]*)`");
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) break;
    if (!line.starts_with("| `")) continue;
    const std::size_t bar = line.find('|', 1);
    documented_row row;
    const std::string first = line.substr(1, bar - 1);
    for (std::sregex_iterator m(first.begin(), first.end(), quoted), end; m != end; ++m) {
      row.names.push_back((*m)[1]);
    }
    row.meaning = line.substr(bar + 1);
    rows.push_back(std::move(row));
  }
  return rows;
}

bool mentions(const std::string& text, const std::string& word) {
  return std::regex_search(text, std::regex("(^|[^A-Za-z0-9_])" + word + "($|[^A-Za-z0-9_])"));
}

// `path` is documented when a row names it, or names an object above it and
// mentions every level below (`latency_us` ... `{p50, p90, ...}`).
bool documented(const std::vector<documented_row>& rows, const std::string& path) {
  for (const documented_row& row : rows) {
    for (const std::string& name : row.names) {
      if (path == name) return true;
      if (!path.starts_with(name + ".")) continue;
      std::stringstream rest(path.substr(name.size() + 1));
      bool all = true;
      for (std::string level; std::getline(rest, level, '.');) all &= mentions(row.meaning, level);
      if (all) return true;
    }
  }
  return false;
}

template <class Record>
void expect_documented(std::span<const field<Record>> fields,
                       const std::vector<documented_row>& rows, const std::string& where) {
  ASSERT_FALSE(rows.empty()) << where << ": no table found in results/README.md";
  std::set<std::string> paths;
  for (const field<Record>& f : fields) {
    paths.insert(std::string(f.path));
    EXPECT_TRUE(documented(rows, std::string(f.path)))
        << where << "." << f.path << " is not in results/README.md";
  }
  auto is_path_or_object = [&](const std::string& name) {
    for (const std::string& p : paths) {
      if (p == name || p.starts_with(name + ".")) return true;
    }
    return false;
  };
  // And the other way: every name in the tables, and every key listed in
  // braces for an object, is a field.
  const std::regex braces("\\{([^{}]*)\\}");
  const std::regex key("^\\s*`?([A-Za-z0-9_]+)");
  for (const documented_row& row : rows) {
    for (const std::string& name : row.names) {
      EXPECT_TRUE(is_path_or_object(name)) << where << "." << name << " is documented, not written";
      if (paths.contains(name)) continue;  // a field, not an object (stall_log's items)
      for (std::sregex_iterator m(row.meaning.begin(), row.meaning.end(), braces), end; m != end;
           ++m) {
        std::stringstream items((*m)[1].str());
        for (std::string item; std::getline(items, item, ',');) {
          std::smatch k;
          if (!std::regex_search(item, k, key)) continue;
          EXPECT_TRUE(is_path_or_object(name + "." + k[1].str()))
              << where << "." << name << "." << k[1] << " is documented, not written";
        }
      }
    }
  }
}

TEST(Results, EveryFieldIsDocumentedInTheReadme) {
  const std::string readme = readme_text();
  ASSERT_FALSE(readme.empty()) << "cannot read results/README.md";
  expect_documented(run_fields(), documented_rows(readme, "### runs[]"), "runs[]");
  expect_documented(context_fields(), documented_rows(readme, "### context"), "context");
  expect_documented(class_fields(), documented_rows(readme, "### runs[].classes[]"),
                    "runs[].classes[]");

  // summary.csv's columns are listed, in order, after "The columns, in order:".
  const std::string intro = "The columns, in order:";
  const std::size_t at = readme.find(intro);
  ASSERT_NE(at, std::string::npos) << "results/README.md lists no summary.csv columns";
  const std::string list = readme.substr(
      at + intro.size(), readme.find("\n\n", at + intro.size() + 2) - at - intro.size());
  std::string columns;
  const std::regex quoted("`([^`]*)`");
  for (std::sregex_iterator m(list.begin(), list.end(), quoted), end; m != end; ++m) {
    columns += (columns.empty() ? "" : ",") + (*m)[1].str();
  }
  EXPECT_EQ(columns, summary_csv_header());
}

}  // namespace
}  // namespace ccbench
