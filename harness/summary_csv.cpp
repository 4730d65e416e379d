#include "harness/summary_csv.hpp"

#include <cmath>
#include <sstream>

#include "harness/result_fields.hpp"

namespace ccbench {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string csv_num(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

// Null is an empty cell; lists have no column (run_fields() gives them none).
std::string csv_cell(const field_value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<V, std::int64_t> || std::is_same_v<V, std::uint64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<V, double>) {
          return csv_num(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          return csv_field(v);
        } else {
          return "";
        }
      },
      value);
}

// A mix's classes in one cell per class field: the classes' values joined by
// ';' (empty for a plain workload).
std::string class_cell(const field<class_result>& f, const std::vector<class_result>& classes) {
  std::string joined;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (i > 0) joined += ';';
    joined += csv_cell(f.get(classes[i]));
  }
  return csv_field(joined);
}

}  // namespace

std::string summary_csv_header() {
  std::string out;
  for (const run_field& f : run_fields()) {
    if (f.column.empty()) continue;
    if (f.kind == field_kind::classes) {
      for (const field<class_result>& c : class_fields()) {
        if (c.column.empty()) continue;
        if (!out.empty()) out += ',';
        out += c.column;
      }
      continue;
    }
    if (!out.empty()) out += ',';
    out += f.column;
  }
  return out;
}

std::string summary_csv_row(const run_record& r) {
  std::string out;
  bool first = true;
  for (const run_field& f : run_fields()) {
    if (f.column.empty()) continue;
    if (f.kind == field_kind::classes) {
      for (const field<class_result>& c : class_fields()) {
        if (c.column.empty()) continue;
        if (!first) out += ',';
        first = false;
        out += class_cell(c, r.classes);
      }
      continue;
    }
    if (!first) out += ',';
    first = false;
    out += csv_cell(f.get(r));
  }
  return out;
}

std::string to_summary_csv(const results& r) {
  std::string out = summary_csv_header() + '\n';
  for (const run_record& x : r.runs) out += summary_csv_row(x) + '\n';
  return out;
}

}  // namespace ccbench
