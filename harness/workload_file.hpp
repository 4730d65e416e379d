// A workload file (`--workload-file FILE`): a service's request classes kept
// as JSON in the team's own repository, read into the mix syntax.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ccbench {

/// What a workload file holds, as the mix it names.
struct workload_file {
  std::string mix;   ///< canonical mix text (workload::parse_mix)
  std::string name;  ///< the file's "name", or ""
};

/// Parses the text of a workload file:
///
///     { "name": "checkout",                       (optional)
///       "description": "what it models",          (optional)
///       "classes": [ { "name": "api", "weight": 90, "steps": "io:5ms,cpu:50us" },
///                    { "name": "report", "weight": 10, "steps": ["cpu:20ms"] } ] }
///
/// `weight` may be left out (1); `steps` is a spec or a list of steps. Throws
/// config_error "bad workload file '<source>': <problem>" naming the field or
/// class, for unknown fields too.
workload_file parse_workload_file(std::string_view text, std::string_view source);
/// Reads and parses `path`.
workload_file read_workload_file(const std::filesystem::path& path);

}  // namespace ccbench
