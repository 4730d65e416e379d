// The results schema, one row per field: where each field of a run (and of the
// context) sits in results.json, its summary.csv column, and how to get it from
// and set it on the record. The JSON writer and reader (results_json.cpp), the
// CSV (summary_csv.cpp) and the schema tests are derived from these tables, so
// a new field is one row here and one line in results/README.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/host_context.hpp"
#include "harness/run_record.hpp"

namespace ccbench {

/// What a field holds, and so how the files spell it.
enum class field_kind : std::uint8_t {
  flag,          ///< true or false
  integer,       ///< a whole number that may be negative
  count,         ///< a whole number, 0 or more
  number,        ///< a double; NaN and infinities are written null
  text,          ///< a string
  numbers,       ///< a list of doubles
  counts,        ///< a list of counts
  texts,         ///< a list of strings
  stall_events,  ///< a list of stall_event objects (stall_log)
  facts,         ///< an object of numbers and strings (model_facts)
  classes,       ///< a list of class_result objects (classes), each as class_fields() says
};

/// A field's value: one alternative per field_kind, in its order, after
/// std::monostate, which is null (not measured, not applicable).
using field_value =
    std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string,
                 std::vector<double>, std::vector<std::uint64_t>, std::vector<std::string>,
                 std::vector<stall_event>, std::vector<model_fact>, std::vector<class_result>>;

template <class Record>
struct field {
  std::string_view path;    ///< place in the record's JSON object, levels joined by '.'
  std::string_view column;  ///< its summary.csv column; "": only in results.json
  field_kind kind;
  /// The value to write: of `kind`, or std::monostate for null.
  field_value (*get)(const Record&);
  /// Reads the value back (of `kind`, or std::monostate for null); nullptr for a
  /// field derived from others, which is written but never read.
  void (*set)(Record&, const field_value&);
  std::span<const std::string_view> choices = {};  ///< what a text (or each of texts) may be
  bool omit_null = false;  ///< left out of its object, rather than written null, when null
  bool required = false;   ///< a record without it is malformed
};

/// An object of a record written null as a whole when `present` is false (a
/// model without resumes has no slow_resumes); its fields then read back as
/// the record's defaults.
template <class Record>
struct field_group {
  std::string_view path;
  bool (*present)(const Record&);
};

using run_field = field<run_record>;
using context_field = field<host_context>;

/// Every field of runs[], in results.json's order; summary.csv's columns are
/// those with a column, in the same order.
std::span<const run_field> run_fields();
/// The objects of runs[] that are null when the run has none of them.
std::span<const field_group<run_record>> run_groups();
/// Every field of one entry of a run's `classes` (a mix's request classes), in
/// results.json's order. summary.csv has a column for each with a column,
/// holding the run's classes' values joined by ';' in the order of `class_name`.
std::span<const field<class_result>> class_fields();
/// Every field of the context, in results.json's order.
std::span<const context_field> context_fields();
/// The run field at `path` ("latency_us.p99"), or nullptr.
const run_field* find_run_field(std::string_view path);

}  // namespace ccbench
