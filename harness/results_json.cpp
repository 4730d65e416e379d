#include "harness/results_json.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/error.hpp"
#include "harness/result_fields.hpp"

namespace ccbench {
namespace {

using json = nlohmann::ordered_json;

// JSON has no NaN or infinity: they are written null.
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json stall_log_json(const std::vector<stall_event>& log) {
  json out = json::array();
  for (const stall_event& e : log) {
    out.push_back({{"at_ms", num(e.at_ms)},
                   {"length_ms", num(e.length_ms)},
                   {"task", e.task >= 0 ? json(e.task) : json(nullptr)},
                   {"step", e.step.empty() ? json(nullptr) : json(e.step)},
                   {"step_index", e.step_index >= 0 ? json(e.step_index) : json(nullptr)}});
  }
  return out;
}

std::vector<stall_event> stall_log_from(const json& j) {
  std::vector<stall_event> log;
  auto number = [](const json& e, const char* key) {
    const auto it = e.find(key);
    return it == e.end() || it->is_null() ? 0.0 : it->get<double>();
  };
  auto present = [](const json& e, const char* key) {
    return e.contains(key) && !e[key].is_null();
  };
  for (const json& e : j) {
    stall_event s;
    s.at_ms = number(e, "at_ms");
    s.length_ms = number(e, "length_ms");
    s.task = present(e, "task") ? e["task"].get<std::int64_t>() : -1;
    s.step = present(e, "step") ? e["step"].get<std::string>() : "";
    s.step_index = present(e, "step_index") ? e["step_index"].get<std::int32_t>() : -1;
    log.push_back(std::move(s));
  }
  return log;
}

json facts_json(const std::vector<model_fact>& facts) {
  json out = json::object();
  for (const model_fact& f : facts) {
    if (const double* n = std::get_if<double>(&f.value)) {
      out[f.key] = num(*n);
    } else {
      out[f.key] = std::get<std::string>(f.value);
    }
  }
  return out;
}

// Numbers as numbers, strings as strings; anything else as its JSON text.
std::vector<model_fact> facts_from(const json& j) {
  std::vector<model_fact> facts;
  for (const auto& [k, v] : j.items()) {
    if (v.is_number()) {
      facts.push_back({k, v.get<double>()});
    } else {
      facts.push_back({k, v.is_string() ? v.get<std::string>() : v.dump()});
    }
  }
  return facts;
}

template <class Record>
json fields_json(const Record& r, std::span<const field<Record>> fields,
                 std::span<const field_group<Record>> groups = {});
template <class Record>
void fields_from(const json& j, Record& r, std::span<const field<Record>> fields);

json classes_json(const std::vector<class_result>& classes) {
  json out = json::array();
  for (const class_result& c : classes) out.push_back(fields_json(c, class_fields()));
  return out;
}

std::vector<class_result> classes_from(const json& j) {
  std::vector<class_result> out;
  for (const json& c : j) {
    class_result r;
    fields_from(c, r, class_fields());
    out.push_back(std::move(r));
  }
  return out;
}

json to_json(const field_value& value) {
  return std::visit(
      [](const auto& v) -> json {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<V, double>) {
          return num(v);
        } else if constexpr (std::is_same_v<V, std::vector<stall_event>>) {
          return stall_log_json(v);
        } else if constexpr (std::is_same_v<V, std::vector<model_fact>>) {
          return facts_json(v);
        } else if constexpr (std::is_same_v<V, std::vector<class_result>>) {
          return classes_json(v);
        } else {
          return v;  // NaN in a list of numbers is written null by the serializer
        }
      },
      value);
}

field_value from_json(const json& j, field_kind kind) {
  if (j.is_null()) return std::monostate{};
  switch (kind) {
    case field_kind::flag:
      return j.get<bool>();
    case field_kind::integer:
      return j.get<std::int64_t>();
    case field_kind::count:
      return j.get<std::uint64_t>();
    case field_kind::number:
      return j.get<double>();
    case field_kind::text:
      return j.get<std::string>();
    case field_kind::numbers: {
      std::vector<double> out;
      out.reserve(j.size());
      for (const json& x : j) {
        out.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
      }
      return out;
    }
    case field_kind::counts:
      return j.get<std::vector<std::uint64_t>>();
    case field_kind::texts:
      return j.get<std::vector<std::string>>();
    case field_kind::stall_events:
      return stall_log_from(j);
    case field_kind::facts:
      return facts_from(j);
    case field_kind::classes:
      return classes_from(j);
  }
  return std::monostate{};
}

// The value at `path` ("a.b.c") inside `root`, made (as objects) on the way.
json& slot(json& root, std::string_view path) {
  json* node = &root;
  while (true) {
    const std::size_t dot = path.find('.');
    json& next = (*node)[std::string(path.substr(0, dot))];
    if (dot == std::string_view::npos) return next;
    node = &next;
    path.remove_prefix(dot + 1);
  }
}

// The value at `path` inside `root`, or nullptr when it or an object on the way is absent.
const json* find(const json& root, std::string_view path) {
  const json* node = &root;
  while (true) {
    if (!node->is_object()) return nullptr;
    const std::size_t dot = path.find('.');
    const auto it = node->find(std::string(path.substr(0, dot)));
    if (it == node->end()) return nullptr;
    if (dot == std::string_view::npos) return &*it;
    node = &*it;
    path.remove_prefix(dot + 1);
  }
}

template <class Record>
json fields_json(const Record& r, std::span<const field<Record>> fields,
                 std::span<const field_group<Record>> groups) {
  json out = json::object();
  for (const field<Record>& f : fields) {
    const field_group<Record>* group = nullptr;
    for (const field_group<Record>& g : groups) {
      if (f.path.size() > g.path.size() && f.path.starts_with(g.path) &&
          f.path[g.path.size()] == '.') {
        group = &g;
      }
    }
    if (group != nullptr && !group->present(r)) {
      slot(out, group->path);  // null, where its first field would have been
      continue;
    }
    field_value v = f.get(r);
    if (f.omit_null && std::holds_alternative<std::monostate>(v)) {
      const std::size_t dot = f.path.rfind('.');
      if (dot != std::string_view::npos) {
        json& parent = slot(out, f.path.substr(0, dot));
        if (parent.is_null()) parent = json::object();
      }
      continue;
    }
    slot(out, f.path) = to_json(v);
  }
  return out;
}

template <class Record>
void fields_from(const json& j, Record& r, std::span<const field<Record>> fields) {
  for (const field<Record>& f : fields) {
    if (f.set == nullptr) continue;
    const json* value = find(j, f.path);
    if (value == nullptr) {
      if (f.required) throw config_error("a run without \"" + std::string(f.path) + "\"");
      continue;
    }
    f.set(r, from_json(*value, f.kind));
  }
}

json context_json(const host_context& c) { return fields_json(c, context_fields()); }

host_context context_from(const json& j) {
  host_context c;
  fields_from(j, c, context_fields());
  return c;
}

json record_json(const run_record& r) { return fields_json(r, run_fields(), run_groups()); }

run_record record_from(const json& j) {
  run_record r;
  fields_from(j, r, run_fields());
  return r;
}

json spread_json(const spread& s) {
  return {{"median", num(s.median)},
          {"ci95_low", num(s.ci95_low)},
          {"ci95_high", num(s.ci95_high)},
          {"cv", num(s.cv)}};
}

json summary_json(const config_summary& s) {
  // The configuration's fields, spelt as in runs[].
  run_record probe;
  probe.config = s.key;
  json key = json::object();
  for (const std::string_view path : {"model", "offload", "threads", "workload", "scenario",
                                      "arrival", "concurrency", "rate", "group"}) {
    key[std::string(path)] = to_json(find_run_field(path)->get(probe));
  }
  return {{"key", key},
          {"n", s.n},
          {"throughput_per_s", spread_json(s.throughput)},
          {"latency_p99_us", spread_json(s.p99_us)},
          {"samples",
           {{"throughput_per_s", s.throughput.samples}, {"latency_p99_us", s.p99_us.samples}}}};
}

json document(const results& r, json runs) {
  json summaries = json::array();
  for (const config_summary& s : r.summaries) summaries.push_back(summary_json(s));
  return {
      {"schema", results_schema}, {"run_id", r.run_id},      {"context", context_json(r.context)},
      {"warnings", r.warnings},   {"runs", std::move(runs)}, {"summaries", summaries}};
}

// `text` (a dump(2)) with its lines after the first moved `depth` spaces to
// the right: a value that starts on a line `depth` deep in a document. JSON
// strings hold no raw newline, so every newline in the text starts a line.
std::string indent_lines(const std::string& text, std::size_t depth) {
  const std::string pad(depth, ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

}  // namespace

std::string to_json_text(const results& r) {
  json runs = json::array();
  for (const run_record& rec : r.runs) runs.push_back(record_json(rec));
  return document(r, std::move(runs)).dump(2) + "\n";
}

std::string to_json_text(const results& r, std::vector<std::string>& rendered) {
  if (rendered.size() > r.runs.size()) rendered.clear();
  for (std::size_t i = rendered.size(); i < r.runs.size(); ++i) {
    rendered.push_back("    " + indent_lines(record_json(r.runs[i]).dump(2), 4));
  }
  // The document as dump(2) lays it out, one top-level member at a time, with
  // the runs copied from `rendered`: an object's members are indented by 2,
  // each on its own line, separated by ",\n".
  std::size_t size = 64;
  for (const std::string& run : rendered) size += run.size() + 2;
  std::string out;
  out.reserve(size);
  out += "{\n";
  bool first = true;
  const json doc = document(r, json::array());
  for (const auto& [key, value] : doc.items()) {
    if (!first) out += ",\n";
    first = false;
    out += "  " + json(key).dump() + ": ";
    if (key != "runs" || rendered.empty()) {
      out += indent_lines(value.dump(2), 2);
      continue;
    }
    out += "[\n";
    for (std::size_t i = 0; i < rendered.size(); ++i) {
      if (i > 0) out += ",\n";
      out += rendered[i];
    }
    out += "\n  ]";
  }
  out += "\n}\n";
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
