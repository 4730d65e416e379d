// The interface every concurrency model implements, and what a model sees of
// the harness during a run. Models speak only harness types; their own
// libraries stay private to their folder.
#pragma once

#include <cstdint>
#include <string>

#include "harness/run_config.hpp"

namespace ccbench {

class run_context;
struct task;
template <class M>
class driver;

/// What a model sees of one run: the plan (options, open or closed loop, the
/// clients), whether to give up, and a place for facts about itself. The
/// clients, the open-loop generator and the stall probe are the harness's
/// (harness/driver.hpp): a model hands them its primitives and runs them.
/// Thread-safe; note() takes a lock, the rest never blocks.
class model_context {
 public:
  explicit model_context(run_context& ctx) noexcept : ctx_(ctx) {}

  const model_options& options() const noexcept;
  /// True for --rate (open loop: the driver's generator); else concurrency()
  /// clients (the driver's client()).
  bool open_loop() const noexcept;
  std::uint64_t concurrency() const noexcept;

  /// True once the watchdog gave up on the run: return as soon as possible
  /// (e.g. stop waiting for a worker that sleeps through a block:1h step).
  bool aborted() const noexcept;
  /// Pool-like models: `t` leaves the model's queue and starts running now
  /// (records the ready-to-running wait). Any thread.
  void dequeued(const task& t) noexcept;

  /// A fact about the model for the results (a scheduler, a library version).
  void note(std::string key, std::string value);
  /// A fact that is a number (a thread count, a size), written as one.
  void note(std::string key, double value);

 private:
  template <class M>
  friend class driver;
  friend class foreign_run;
  run_context& ctx_;
};

/// A concurrency model: it supplies its primitives (wait, yield, spawn,
/// offload) to the harness's driver, which runs the load plan in the model's
/// own idiom: coroutine or fiber clients, a dispatcher feeding workers.
///
/// Contract for run(), called once per instance from the runner's thread:
///  - start the driver's clients (or its generator) and its probe, and run
///    its scheduler until every one of them has returned;
///  - return only then, with every thread, process and descriptor it made
///    gone (after an abort: as soon as possible);
///  - never print and never report times of its own: the harness stamps them.
class model {
 public:
  virtual ~model() = default;

  /// Runs one configuration to completion. An exception escaping the model
  /// turns the run into status `error` (the runner catches it).
  void run(model_context& ctx) { do_run(ctx); }
  /// Called once before run(), before the run's clock starts and under its
  /// timeout (watch ctx.aborted()): starts what takes long to start and is
  /// not part of what is measured (a Python interpreter). An exception fails
  /// the run as one from run() does.
  void prepare(model_context& ctx) { do_prepare(ctx); }

 private:
  virtual void do_run(model_context& ctx) = 0;
  virtual void do_prepare(model_context&) {}
};

}  // namespace ccbench
