// What a model whose scheduler runs in another process (a Python interpreter)
// needs of a run: the plan to hand over, task ids and steps to send ahead, and
// the replay of the stamps that process took. The stamps are on
// CLOCK_MONOTONIC, the harness's clock (harness/clock.hpp), so they go into
// the same recorders, ledger and checks as every other model's.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "harness/model.hpp"
#include "harness/net_session.hpp"
#include "harness/run_context.hpp"

namespace ccbench {

/// One run seen from a model that drives another process. Use from one
/// thread (the runner's, in run()), in the order the other process stamped.
class foreign_run {
 public:
  explicit foreign_run(model_context& ctx) noexcept : ctx_(ctx.ctx_) {}

  const run_config& config() const noexcept { return ctx_.config(); }
  const step_source& source() const noexcept { return ctx_.source(); }
  bool open_loop() const noexcept { return ctx_.open_loop(); }
  std::uint64_t concurrency() const noexcept { return ctx_.concurrency(); }
  bool aborted() const noexcept { return ctx_.aborted(); }
  /// The probe's first deadline (its next ones: each wake-up plus the period).
  time_point probe_deadline() const noexcept { return ctx_.probe().deadline(); }
  /// The window's close where known (an open loop's, from the start); else max.
  time_point window_end() const noexcept { return ctx_.window().end(); }

  /// Closed loop: an id for a task handed over ahead of time.
  std::uint64_t issue() noexcept { return ctx_.issue_id(); }
  /// Open loop: the next arrival of the schedule (run_context::next_arrival).
  std::optional<task> next_arrival() noexcept { return ctx_.next_arrival(); }
  /// A task handed over and never started.
  void unissue(std::uint64_t id) noexcept { ctx_.unissue(id); }

  void first_task(time_point at) noexcept { ctx_.replay_first_task(at); }
  void launched(task& t, time_point at) noexcept { ctx_.replay_launch(t, at); }
  /// `t` completed at `at`; `checksum` as the harness computes it for a
  /// correct run (the model verified the other process's result).
  void completed(const task& t, std::uint64_t checksum, time_point at) noexcept {
    ctx_.replay_completion(t, checksum, at);
  }
  void failed(const task& t, std::string_view what) noexcept { ctx_.fail(t, what); }
  void probe_woke(time_point at) noexcept { ctx_.probe().woke_at(at); }
  /// Open loop with net steps: the other process has opened its connections,
  /// so the window (and the schedule) may start (run_context::load_ready());
  /// call before next_arrival(). Nothing for other runs.
  void load_ready() noexcept { ctx_.load_ready(); }
  /// The other process opened a connection to the delay server at `at`.
  void connection_opened(time_point at) noexcept { net::connection_opened(at); }

  void note(std::string key, std::string value) { ctx_.note(std::move(key), std::move(value)); }
  void note(std::string key, double value) { ctx_.note(std::move(key), value); }

 private:
  run_context& ctx_;
};

}  // namespace ccbench
