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

/// A request class of a mix: a named task shape drawn for a share of the
/// tasks (`--mix 'api[90]=io:5ms,cpu:50us;report[10]=cpu:20ms'`).
struct request_class {
  std::string name;
  double weight = 1;      ///< relative to the other classes' weights (> 0)
  std::size_t first = 0;  ///< its steps are steps()[first, first + count)
  std::size_t count = 0;
};

/// A parsed task spec, e.g. `io:~5ms,cpu:200us,block:100ms@0.5%`, or a mix
/// of request classes, `api[90]=io:5ms;report[10]=cpu:20ms`: then steps()
/// holds every class's steps one class after another, and each task runs
/// those of the one class drawn for it (step_source).
class workload {
 public:
  /// Parses `text`, a spec or (when it holds '=') a mix; throws config_error
  /// "bad workload '<text>': <problem>" or "bad mix '<text>': <problem>".
  static workload parse(std::string_view text);
  /// Parses a mix `NAME[WEIGHT]=STEPS;...` (the weight may be left out: 1).
  /// Throws config_error "bad mix '<text>': <problem>" naming the class.
  static workload parse_mix(std::string_view text);

  /// The spec in canonical form (what results files record).
  const std::string& text() const { return text_; }
  std::span<const step_spec> steps() const { return steps_; }

  /// Expected time per task spent in steps of `kind` (mean x share of tasks).
  nanoseconds mean_time(step_kind kind) const;
  /// Expected time per task over all steps: the task's own duration with no queueing.
  nanoseconds mean_task_time() const;
  bool has(step_kind kind) const;

  /// The request classes of a mix; empty for a plain spec.
  std::span<const request_class> classes() const { return classes_; }
  /// Class `c`'s share of the tasks: its weight over the sum of the weights.
  double share(std::size_t c) const;
  /// Expected time per task of class `c` alone.
  nanoseconds class_task_time(std::size_t c) const;
  /// The class whose steps include steps()[index]; 0 for a plain spec.
  std::size_t class_of_step(std::size_t index) const;

 private:
  std::string text_;
  std::vector<step_spec> steps_;
  std::vector<request_class> classes_;
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
