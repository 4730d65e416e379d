#include "harness/results_json.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/error.hpp"

namespace ccbench {
namespace {

using json = nlohmann::ordered_json;

// JSON has no NaN or infinity: write null, read null as NaN.
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double get_num(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  return it->get<double>();
}

run_status parse_status(const std::string& s) {
  if (s == "ok") return run_status::ok;
  if (s == "timeout") return run_status::timeout;
  return run_status::error;
}

json context_json(const host_context& c) {
  return {{"host", c.host},
          {"cpu_model", c.cpu_model},
          {"cores", c.cores},
          {"affinity", c.affinity},
          {"kernel", c.kernel},
          {"compiler", c.compiler},
          {"cxx_flags", c.cxx_flags},
          {"build_type", c.build_type},
          {"boost", c.boost},
          {"tbb", c.tbb},
          {"git", c.git},
          {"ccbench_version", c.ccbench_version},
          {"started_at", c.started_at},
          {"governor", c.governor},
          {"turbo", c.turbo},
          {"clock", c.clock},
          {"load_avg", {{"start", num(c.load_avg_start)}, {"end", num(c.load_avg_end)}}},
          {"busy_start", num(c.busy_start)},
          {"cpu_rounds_per_ns", num(c.cpu_rounds_per_ns)},
          {"wakeup_cpu_us", num(c.wakeup_cpu_us)}};
}

host_context context_from(const json& j) {
  host_context c;
  auto str = [&](const char* k) { return j.contains(k) ? j[k].get<std::string>() : ""; };
  c.host = str("host");
  c.cpu_model = str("cpu_model");
  c.kernel = str("kernel");
  c.compiler = str("compiler");
  c.cxx_flags = str("cxx_flags");
  c.build_type = str("build_type");
  c.boost = str("boost");
  c.tbb = str("tbb");
  c.git = str("git");
  c.ccbench_version = str("ccbench_version");
  c.started_at = str("started_at");
  c.governor = str("governor");
  c.turbo = str("turbo");
  c.clock = str("clock");
  c.cores = j.value("cores", 0);
  c.affinity = j.value("affinity", 0);
  if (j.contains("load_avg")) {
    c.load_avg_start = get_num(j["load_avg"], "start");
    c.load_avg_end = get_num(j["load_avg"], "end");
  }
  c.busy_start = get_num(j, "busy_start");
  c.cpu_rounds_per_ns = get_num(j, "cpu_rounds_per_ns");
  c.wakeup_cpu_us = get_num(j, "wakeup_cpu_us");
  return c;
}

json latency_json(const latency_summary& l) {
  return {{"p50", num(l.p50)}, {"p90", num(l.p90)},   {"p99", num(l.p99)}, {"p999", num(l.p999)},
          {"max", num(l.max)}, {"mean", num(l.mean)}, {"min", num(l.min)}, {"count", l.count}};
}

latency_summary latency_from(const json& l) {
  return {get_num(l, "p50"),
          get_num(l, "p90"),
          get_num(l, "p99"),
          get_num(l, "p999"),
          get_num(l, "max"),
          get_num(l, "mean"),
          l.value("count", std::uint64_t{0}),
          get_num(l, "min")};
}

json instruments_json(const run_record& r) {
  json out = json::object();
  out["latency_uncorrected_us"] = latency_json(r.latency_uncorrected);
  out["latency_spectrum"] = {{"percentiles", r.spectrum_percentiles},
                             {"corrected_us", r.spectrum_corrected_us},
                             {"uncorrected_us", r.spectrum_uncorrected_us}};
  out["generator_lag_ms"] = r.generator_lag_ms >= 0 ? num(r.generator_lag_ms) : json(nullptr);
  out["slow_resumes"] = r.resumes > 0 ? json{{"threshold_us", num(r.slow_threshold_us)},
                                             {"count", r.slow_resumes},
                                             {"resumes", r.resumes},
                                             {"p99_us", num(r.resume_p99_us)},
                                             {"max_us", num(r.resume_max_us)}}
                                      : json(nullptr);
  out["busy_ratio"] = r.busy_ratio >= 0 ? num(r.busy_ratio) : json(nullptr);
  out["queue_wait_us"] = r.queue_waits > 0 ? json{{"p50", num(r.queue_wait_p50_us)},
                                                  {"p99", num(r.queue_wait_p99_us)},
                                                  {"max", num(r.queue_wait_max_us)},
                                                  {"count", r.queue_waits}}
                                           : json(nullptr);
  json log = json::array();
  for (const stall_event& e : r.stall_log) {
    log.push_back({{"at_ms", num(e.at_ms)},
                   {"length_ms", num(e.length_ms)},
                   {"task", e.task >= 0 ? json(e.task) : json(nullptr)},
                   {"step", e.step.empty() ? json(nullptr) : json(e.step)},
                   {"step_index", e.step_index >= 0 ? json(e.step_index) : json(nullptr)}});
  }
  out["stall_log"] = log;
  out["timeseries"] = {{"interval_ms", num(r.series.interval_ms)},
                       {"t_ms", r.series.t_ms},
                       {"completed", r.series.completed},
                       {"p99_us", r.series.p99_us},
                       {"stall_max_us", r.series.stall_max_us}};
  return out;
}

void instruments_from(const json& j, run_record& r) {
  if (j.contains("latency_uncorrected_us") && j["latency_uncorrected_us"].is_object()) {
    r.latency_uncorrected = latency_from(j["latency_uncorrected_us"]);
  }
  if (j.contains("latency_spectrum") && j["latency_spectrum"].is_object()) {
    const json& s = j["latency_spectrum"];
    r.spectrum_percentiles = s.value("percentiles", std::vector<double>{});
    r.spectrum_corrected_us = s.value("corrected_us", std::vector<double>{});
    r.spectrum_uncorrected_us = s.value("uncorrected_us", std::vector<double>{});
  }
  r.generator_lag_ms = j.contains("generator_lag_ms") && !j["generator_lag_ms"].is_null()
                           ? j["generator_lag_ms"].get<double>()
                           : -1;
  if (j.contains("slow_resumes") && j["slow_resumes"].is_object()) {
    const json& s = j["slow_resumes"];
    r.slow_threshold_us = get_num(s, "threshold_us");
    r.slow_resumes = s.value("count", std::uint64_t{0});
    r.resumes = s.value("resumes", std::uint64_t{0});
    r.resume_p99_us = get_num(s, "p99_us");
    r.resume_max_us = get_num(s, "max_us");
  }
  r.busy_ratio =
      j.contains("busy_ratio") && !j["busy_ratio"].is_null() ? j["busy_ratio"].get<double>() : -1;
  if (j.contains("queue_wait_us") && j["queue_wait_us"].is_object()) {
    const json& q = j["queue_wait_us"];
    r.queue_wait_p50_us = get_num(q, "p50");
    r.queue_wait_p99_us = get_num(q, "p99");
    r.queue_wait_max_us = get_num(q, "max");
    r.queue_waits = q.value("count", std::uint64_t{0});
  }
  if (j.contains("stall_log") && j["stall_log"].is_array()) {
    for (const json& e : j["stall_log"]) {
      stall_event s;
      s.at_ms = get_num(e, "at_ms");
      s.length_ms = get_num(e, "length_ms");
      s.task = e.contains("task") && !e["task"].is_null() ? e["task"].get<std::int64_t>() : -1;
      s.step = e.contains("step") && !e["step"].is_null() ? e["step"].get<std::string>() : "";
      s.step_index = e.contains("step_index") && !e["step_index"].is_null()
                         ? e["step_index"].get<std::int32_t>()
                         : -1;
      r.stall_log.push_back(std::move(s));
    }
  }
  if (j.contains("timeseries") && j["timeseries"].is_object()) {
    const json& t = j["timeseries"];
    r.series.interval_ms = get_num(t, "interval_ms");
    r.series.t_ms = t.value("t_ms", std::vector<double>{});
    r.series.completed = t.value("completed", std::vector<std::uint64_t>{});
    r.series.p99_us = t.value("p99_us", std::vector<double>{});
    r.series.stall_max_us = t.value("stall_max_us", std::vector<double>{});
  }
}

json record_json(const run_record& r) {
  const run_config& c = r.config;
  json facts = json::object();
  for (const model_fact& f : r.model_facts) {
    if (const double* n = std::get_if<double>(&f.value)) {
      facts[f.key] = num(*n);
    } else {
      facts[f.key] = std::get<std::string>(f.value);
    }
  }
  json out = {
      {"model", c.model},
      {"offload", to_string(c.options.offload)},
      {"threads", c.options.threads},
      {"workload", c.workload},
      {"scenario", c.scenario},
      {"arrival", to_string(c.arrival)},
      {"concurrency", c.concurrency},
      {"rate", num(c.rate)},
      {"duration_s", num(to_s(c.duration))},
      {"warmup_s", num(to_s(c.warmup))},
      {"timeout_s", num(to_s(c.effective_timeout()))},
      {"seed", c.seed},
      {"repetition", c.repetition},
      {"completed", r.completed},
      {"drained", r.drained},
      {"errors", r.errors},
      {"issued", r.issued},
      {"throughput_per_s", num(r.throughput_per_s)},
      {"offered_per_s", num(r.offered_per_s)},
      {"latency_us", latency_json(r.latency)},
      {"stall_us",
       {{"p50", num(r.stall.p50)},
        {"p99", num(r.stall.p99)},
        {"max", num(r.stall.max)},
        {"count_over_threshold", r.stall.count_over_threshold},
        {"threshold_us", num(r.stall.threshold_us)},
        {"total_ms", num(r.stall.total_ms)},
        {"period_us", num(to_us(c.stall_period))},
        {"samples", r.stall.samples}}},
      {"cpu_s", {{"user", num(r.cpu_user_s)}, {"sys", num(r.cpu_sys_s)}}},
      {"ctx_switches", {{"voluntary", r.ctx_voluntary}, {"involuntary", r.ctx_involuntary}}},
      {"rss_peak_kb", r.rss_peak_kb},
      {"rss_start_kb", r.rss_start_kb},
      {"wall_s", num(r.wall_s)},
      {"status", to_string(r.status)},
      {"error", r.error},
      {"model_facts", facts},
      {"group", c.group},
      {"task_mean_us",
       {{"io", num(r.task_mean_io_us)},
        {"cpu", num(r.task_mean_cpu_us)},
        {"block", num(r.task_mean_block_us)},
        {"total", num(r.task_mean_io_us + r.task_mean_cpu_us + r.task_mean_block_us)}}},
  };
  out.update(instruments_json(r));
  return out;
}

nanoseconds from_s(double s) {
  return nanoseconds(static_cast<std::int64_t>(std::llround(s * 1e9)));
}

run_record record_from(const json& j) {
  run_record r;
  run_config& c = r.config;
  c.model = j.at("model").get<std::string>();
  c.options.offload = parse_offload(j.value("offload", "none"), "offload");
  c.options.threads = j.value("threads", 1);
  c.workload = j.at("workload").get<std::string>();
  c.scenario = j.value("scenario", "");
  c.arrival = j.value("arrival", "closed") == "open" ? arrival_kind::open : arrival_kind::closed;
  c.concurrency = j.value("concurrency", std::uint64_t{0});
  c.rate = get_num(j, "rate");
  c.duration = from_s(get_num(j, "duration_s"));
  c.warmup = from_s(get_num(j, "warmup_s"));
  c.timeout = from_s(get_num(j, "timeout_s"));
  c.seed = j.value("seed", std::uint64_t{1});
  c.repetition = j.value("repetition", 0);
  r.completed = j.value("completed", std::uint64_t{0});
  r.drained = j.value("drained", std::uint64_t{0});
  r.errors = j.value("errors", std::uint64_t{0});
  r.issued = j.value("issued", std::uint64_t{0});
  r.window_s = to_s(c.duration);
  r.throughput_per_s = get_num(j, "throughput_per_s");
  r.offered_per_s = get_num(j, "offered_per_s");
  if (j.contains("latency_us")) r.latency = latency_from(j["latency_us"]);
  c.group = j.value("group", "");
  if (j.contains("task_mean_us") && j["task_mean_us"].is_object()) {
    r.task_mean_io_us = get_num(j["task_mean_us"], "io");
    r.task_mean_cpu_us = get_num(j["task_mean_us"], "cpu");
    r.task_mean_block_us = get_num(j["task_mean_us"], "block");
  }
  instruments_from(j, r);
  if (j.contains("stall_us")) {
    const json& s = j["stall_us"];
    r.stall.p50 = get_num(s, "p50");
    r.stall.p99 = get_num(s, "p99");
    r.stall.max = get_num(s, "max");
    r.stall.count_over_threshold = s.value("count_over_threshold", std::uint64_t{0});
    r.stall.threshold_us = get_num(s, "threshold_us");
    r.stall.total_ms = get_num(s, "total_ms");
    r.stall.samples = s.value("samples", std::uint64_t{0});
    c.stall_period = from_s(get_num(s, "period_us") / 1e6);
    c.stall_threshold = from_s(r.stall.threshold_us / 1e6);
  }
  if (j.contains("cpu_s")) {
    r.cpu_user_s = get_num(j["cpu_s"], "user");
    r.cpu_sys_s = get_num(j["cpu_s"], "sys");
  }
  if (j.contains("ctx_switches")) {
    r.ctx_voluntary = j["ctx_switches"].value("voluntary", std::uint64_t{0});
    r.ctx_involuntary = j["ctx_switches"].value("involuntary", std::uint64_t{0});
  }
  r.rss_peak_kb = j.value("rss_peak_kb", std::uint64_t{0});
  r.rss_start_kb = j.value("rss_start_kb", std::uint64_t{0});
  r.wall_s = get_num(j, "wall_s");
  r.status = parse_status(j.value("status", "error"));
  r.error = j.value("error", "");
  if (j.contains("model_facts")) {
    for (const auto& [k, v] : j["model_facts"].items()) {
      if (v.is_number()) {
        r.model_facts.push_back({k, v.get<double>()});
      } else {
        r.model_facts.push_back({k, v.is_string() ? v.get<std::string>() : v.dump()});
      }
    }
  }
  return r;
}

json spread_json(const spread& s) {
  return {{"median", num(s.median)},
          {"ci95_low", num(s.ci95_low)},
          {"ci95_high", num(s.ci95_high)},
          {"cv", num(s.cv)}};
}

json summary_json(const config_summary& s) {
  const run_config& c = s.key;
  return {{"key",
           {{"model", c.model},
            {"offload", to_string(c.options.offload)},
            {"threads", c.options.threads},
            {"workload", c.workload},
            {"scenario", c.scenario},
            {"arrival", to_string(c.arrival)},
            {"concurrency", c.concurrency},
            {"rate", num(c.rate)},
            {"group", c.group}}},
          {"n", s.n},
          {"throughput_per_s", spread_json(s.throughput)},
          {"latency_p99_us", spread_json(s.p99_us)},
          {"samples",
           {{"throughput_per_s", s.throughput.samples}, {"latency_p99_us", s.p99_us.samples}}}};
}

}  // namespace

std::string_view to_string(run_status status) {
  switch (status) {
    case run_status::ok:
      return "ok";
    case run_status::error:
      return "error";
    case run_status::timeout:
      return "timeout";
  }
  return "?";
}

namespace {

json document(const results& r, json runs) {
  json summaries = json::array();
  for (const config_summary& s : r.summaries) summaries.push_back(summary_json(s));
  return {
      {"schema", results_schema}, {"run_id", r.run_id},      {"context", context_json(r.context)},
      {"warnings", r.warnings},   {"runs", std::move(runs)}, {"summaries", summaries}};
}

}  // namespace

std::string to_json_text(const results& r) {
  json runs = json::array();
  for (const run_record& rec : r.runs) runs.push_back(record_json(rec));
  return document(r, std::move(runs)).dump(2) + "\n";
}

std::string to_json_text(const results& r, std::vector<std::string>& rendered) {
  if (rendered.size() > r.runs.size()) rendered.clear();
  // A run sits at depth 2 of the document ("runs" -> element): dump(2) indents
  // it by 4 more spaces there. JSON strings hold no raw newline, so every
  // newline of the text starts a line.
  for (std::size_t i = rendered.size(); i < r.runs.size(); ++i) {
    const std::string text = record_json(r.runs[i]).dump(2);
    std::string& out = rendered.emplace_back("    ");
    out.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
      out += c;
      if (c == '\n') out += "    ";
    }
  }
  std::string doc = document(r, json::array()).dump(2) + "\n";
  if (rendered.empty()) return doc;
  // The top-level key is the only one indented by exactly two spaces.
  const std::string_view empty_runs = "\n  \"runs\": []";
  const std::size_t at = doc.find(empty_runs);
  if (at == std::string::npos) return to_json_text(r);  // not reached: the key is always there
  std::size_t size = 0;
  for (const std::string& t : rendered) size += t.size() + 2;
  std::string out;
  out.reserve(doc.size() + size + 8);
  out.append(doc, 0, at + empty_runs.size() - 1);  // up to and including '['
  out += '\n';
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    if (i > 0) out += ",\n";
    out += rendered[i];
  }
  out += "\n  ]";
  out.append(doc, at + empty_runs.size());
  return out;
}

results results_from_json_text(std::string_view text, std::string_view source) {
  const std::string where = "results file '" + std::string(source) + "'";
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw config_error(where + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || doc.value("schema", "") != results_schema) {
    throw config_error(where + ": not a ccbench results file (expected \"schema\": \"" +
                       std::string(results_schema) + "\")");
  }
  results r;
  try {
    r.run_id = doc.value("run_id", "");
    if (doc.contains("context")) r.context = context_from(doc["context"]);
    if (doc.contains("warnings")) r.warnings = doc["warnings"].get<std::vector<std::string>>();
    for (const json& run : doc.at("runs")) r.runs.push_back(record_from(run));
  } catch (const json::exception& e) {
    throw config_error(where + ": malformed (" + e.what() + ")");
  } catch (const config_error& e) {
    throw config_error(where + ": " + e.what());
  }
  return r;
}

results read_results(const std::filesystem::path& path) {
  std::filesystem::path file = path;
  if (std::filesystem::is_directory(file)) file /= "results.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error("results file '" + file.string() + "': cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return results_from_json_text(text.str(), file.string());
}

std::string record_to_json_text(const run_record& r) { return record_json(r).dump(); }

run_record record_from_json_text(std::string_view text) { return record_from(json::parse(text)); }

}  // namespace ccbench
