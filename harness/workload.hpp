// The workload: a task is a list of steps, parsed once from the spec syntax of
// DESIGN.md and interpreted by every model in its own idiom.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/clock.hpp"

namespace ccbench {

enum class step_kind : std::uint8_t {
  io,     ///< a non-blocking wait: a timer in the model's idiom (a thread can only sleep)
  cpu,    ///< calibrated arithmetic whose result feeds the task's checksum
  block,  ///< a blocking system call that holds the OS thread running it
  net,    ///< a TCP round trip to the delay server, which replies after the duration
};

std::string_view to_string(step_kind kind);

/// One step as written in the spec: `KIND:[~]DURATION[:SIZE][@P%]` (SIZE: net only).
struct step_spec {
  step_kind kind = step_kind::io;
  nanoseconds mean{0};       ///< the duration, or the mean when `exponential`
  bool exponential = false;  ///< `~`: drawn per task from an exponential distribution
  double percent = 100.0;    ///< `@P%`: the step runs in this share of tasks
  std::uint32_t bytes = 0;   ///< net: the reply's size (`net:10ms:16KiB`)
};

/// A parsed task spec, e.g. `io:~5ms,cpu:200us,block:100ms@0.5%`.
class workload {
 public:
  /// Parses `text`; throws config_error "bad workload '<text>': <problem>".
  static workload parse(std::string_view text);

  /// The spec in canonical form (what results files record).
  const std::string& text() const { return text_; }
  std::span<const step_spec> steps() const { return steps_; }

  /// Expected time per task spent in steps of `kind` (mean x share of tasks).
  nanoseconds mean_time(step_kind kind) const;
  /// Expected time per task over all steps: the task's own duration with no queueing.
  nanoseconds mean_task_time() const;
  bool has(step_kind kind) const;

 private:
  std::string text_;
  std::vector<step_spec> steps_;
};

/// A named preset of the spec syntax (`--scenario NAME`).
struct scenario {
  std::string_view name;
  std::string_view spec;
  std::string_view description;
};

/// Every built-in scenario, in the order `ccbench list` prints them.
std::span<const scenario> scenarios();
/// nullptr when there is no scenario of that name.
const scenario* find_scenario(std::string_view name);

}  // namespace ccbench
