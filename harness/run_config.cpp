#include "harness/run_config.hpp"

#include <algorithm>
#include <thread>

#include "harness/error.hpp"

namespace ccbench {

std::string_view to_string(offload_mode mode) {
  switch (mode) {
    case offload_mode::none:
      return "none";
    case offload_mode::thread:
      return "thread";
    case offload_mode::process:
      return "process";
  }
  return "?";
}

offload_mode parse_offload(std::string_view text, std::string_view what) {
  if (text == "none") return offload_mode::none;
  if (text == "thread") return offload_mode::thread;
  if (text == "process") return offload_mode::process;
  throw config_error(std::string(what) + " '" + std::string(text) +
                     "': unknown offload mode (use none, thread or process)");
}

namespace {
int cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
}  // namespace

int offload_thread_count(const model_options& options) {
  return options.offload_threads > 0 ? options.offload_threads : std::min(32, cores() + 4);
}

int offload_process_count(const model_options& options) {
  return options.offload_threads > 0 ? options.offload_threads : cores();
}

std::string_view to_string(arrival_kind kind) {
  return kind == arrival_kind::closed ? "closed" : "open";
}

}  // namespace ccbench
