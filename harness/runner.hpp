// Runs one configuration and measures it. The CLI runs each configuration in a
// forked child, so a crash or a hang becomes a failed record instead of a lost
// suite; tests run them in-process.
#pragma once

#include <functional>
#include <memory>

#include "harness/model.hpp"
#include "harness/run_record.hpp"

namespace ccbench {

using model_factory = std::unique_ptr<model> (*)();

/// Called from the watchdog thread with a partial record when a run's model did
/// not return within 1 s of its timeout. It must not return (the forked child
/// sends the record and exits); without one, the run waits for the model.
using abandon_handler = std::function<void(const run_record&)>;

/// Runs `config` on a model made by `make`, in this process. A watchdog aborts
/// the run at config.effective_timeout() (status `timeout`); a model that does
/// not return after an abort hangs this call, which is why the CLI forks.
/// `rounds_per_ns` is the cpu step calibration. Never throws for model failures:
/// they become status `error`.
run_record run_in_process(const run_config& config, model_factory make, double rounds_per_ns,
                          const abandon_handler& on_abandon = {});

/// Runs `config` in a forked child process (its own process group, killed with
/// it) and returns the child's record. A child that crashes becomes status
/// `error`; one still running 5 s past the timeout is killed and becomes
/// `timeout`. Call only while this process has a single thread.
run_record run_isolated(const run_config& config, model_factory make, double rounds_per_ns);

/// Kills the child of a run_isolated call in progress (for a SIGINT handler:
/// async-signal-safe). The call returns a record with status `error`.
void interrupt_isolated_run() noexcept;

}  // namespace ccbench
