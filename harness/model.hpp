// The interface every concurrency model implements. Models speak only harness
// types; their own libraries stay private to their folder.
#pragma once

#include "harness/run_context.hpp"

namespace ccbench {

/// A concurrency model: drives the load plan of a run_context in its own idiom
/// (coroutine or fiber clients, a dispatcher feeding workers) and runs each
/// task's steps: `io` as its kind of non-blocking wait, `cpu` with cpu_burn,
/// `block` with block_for (or offloaded, as options().offload says).
///
/// Contract for run(), called once per instance from the runner's thread:
///  - closed loop: keep concurrency() tasks in flight; take each with
///    next_task() and report it with complete() or fail(), exactly once;
///  - wake ctx.probe() at its deadline() in the scheduler's own idiom until
///    stopping() (loop lag for event loops, scheduling lag for pools);
///  - return only when every task taken has been reported, and every thread,
///    process and descriptor the model made is gone;
///  - never print and never report times of its own: the harness stamps them.
class model {
 public:
  virtual ~model() = default;

  /// Runs one configuration to completion. Exceptions escaping the model turn
  /// the run into status `error` (the runner catches them).
  void run(run_context& ctx) { do_run(ctx); }

 private:
  virtual void do_run(run_context& ctx) = 0;
};

}  // namespace ccbench
