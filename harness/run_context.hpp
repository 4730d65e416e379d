// What a model sees of the harness during one run: the load plan, the steps of
// each task, and the recorders. The harness stamps every time itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/run_config.hpp"
#include "harness/step_source.hpp"

namespace ccbench {

/// A task handed to a model. Its steps are `ctx.steps(task)`.
struct task {
  std::uint64_t id = 0;
  time_point intended_start;  ///< latency is measured from here (no coordinated omission)
  time_point actual_start;    ///< when the model got to it (open loop: see launched())
};

/// Hiccup-style scheduler probe. The model wakes it in its own idiom (an awaited
/// timer, a sleeping fiber, a job queued on the pool) at deadline(); the probe's
/// lateness is the loop lag or scheduling lag. One driver at a time.
class stall_probe {
 public:
  /// When the model should next wake the probe.
  time_point deadline() const noexcept { return deadline_; }
  /// Call as soon as the probe runs; stamps the wake-up and sets the next deadline.
  void woke() noexcept;

 private:
  friend class run_context;
  struct event {
    time_point start;
    std::int64_t length_ns;
  };
  nanoseconds period_{};
  nanoseconds threshold_{};
  nanoseconds interval_{};
  time_point start_{};
  time_point deadline_{};
  time_point warm_end_{};
  time_point window_end_{};
  histogram lateness_;
  std::uint64_t over_ = 0;
  std::int64_t over_total_ns_ = 0;
  std::vector<event> stalls_;             // lateness over the threshold, for the stall log
  std::vector<std::int64_t> series_max_;  // max lateness per time-series interval
};

class run_context;

/// Times what one task runs on a scheduler thread between two suspensions (or
/// until it ends): event-loop models (loop, asio, fiber) open one on every
/// resume and close it before every suspension. Feeds the slow-resume
/// histogram, the busy ratio and the stall log ("the block step of task 1234
/// held the loop for 52 ms"). Use on one thread; cheap to move.
class segment {
 public:
  segment() = default;
  /// A synchronous step (`cpu`, or `block` run inline) starts inside this segment.
  void step(std::uint32_t index, step_kind kind) noexcept;
  /// The task suspends or ends: records the segment. Safe to call twice.
  void close() noexcept;

 private:
  friend class run_context;
  run_context* ctx_ = nullptr;
  std::uint64_t task_ = 0;
  time_point start_{}, mark_{};
  std::int64_t longest_ns_ = -1;
  std::int32_t current_index_ = -1, longest_index_ = -1;
  step_kind current_kind_ = step_kind::io, longest_kind_ = step_kind::io;
};

/// One run's shared state. Models call the methods in the first group; the
/// runner calls the rest. All model-facing methods are thread-safe and noexcept.
class run_context {
 public:
  run_context(const run_config& config, const step_source& source);
  ~run_context();
  run_context(const run_context&) = delete;
  run_context& operator=(const run_context&) = delete;

  // ---- for models: the load ------------------------------------------------

  const model_options& options() const noexcept { return config_.options; }
  const run_config& config() const noexcept { return config_; }
  /// True for --rate (open loop): drive next_arrival(); else next_task().
  bool open_loop() const noexcept { return config_.arrival == arrival_kind::open; }
  /// Closed loop: how many clients keep a task in flight.
  std::uint64_t concurrency() const noexcept { return config_.concurrency; }

  /// Closed loop: the next task for a client whose previous task just finished
  /// (or that is starting), stamped with now as its intended and actual start;
  /// nullopt once the measured window has closed or the run was aborted.
  std::optional<task> next_task() noexcept;

  /// Open loop: the next arrival of the precomputed Poisson schedule, in order.
  /// Its intended_start may lie ahead (wait for it in the model's idiom, then
  /// call launched()) or behind (the generator fell behind: launch at once).
  /// nullopt when the schedule is exhausted or the run was aborted.
  std::optional<task> next_arrival() noexcept;
  /// Open loop: the model starts `t` now. Stamps actual_start (the uncorrected
  /// latency is measured from it) and how far the generator lagged its schedule.
  void launched(task& t) noexcept;

  /// The steps of `t`, drawn deterministically from its id.
  task_steps steps(const task& t) const noexcept { return task_steps(source_, t.id); }
  const step_source& source() const noexcept { return source_; }

  /// `t` finished; `checksum` folds its cpu steps' results (fold_checksum).
  /// Stamps the completion, records the latency, verifies the checksum.
  void complete(const task& t, std::uint64_t checksum) noexcept;
  /// `t` ended with an exception or another failure; counted as an error.
  void fail(const task& t, std::string_view what) noexcept;

  // ---- for models: instruments ---------------------------------------------

  stall_probe& probe() noexcept { return probe_; }
  /// Event-loop models: `t` resumes on this scheduler thread (see segment).
  segment resume(const task& t) noexcept;
  /// Pool-like models: `t` leaves the queue and starts running on a worker now
  /// (records the ready-to-running wait).
  void dequeued(const task& t) noexcept;

  /// True once clients should stop (window closed, or aborted): ends probes.
  bool stopping() const noexcept;
  /// True once the watchdog gave up on the run: return as soon as possible.
  bool aborted() const noexcept { return aborted_.load(std::memory_order_relaxed); }

  /// Records a fact about the model for the results (scheduler, stack size...).
  void note(std::string key, std::string value);

  // ---- for the runner ------------------------------------------------------

  /// Starts the clock (and lays out the open-loop schedule from here).
  void start();
  void abort() noexcept { aborted_.store(true, std::memory_order_relaxed); }
  /// Merges the per-thread recorders into `out` (counts, latency, stalls, facts)
  /// and checks that every issued task completed exactly once.
  void finish(struct run_record& out);

 private:
  friend class segment;
  struct shard;
  class ledger;
  shard& local_shard() noexcept;
  void record_error(shard& s, std::string what) noexcept;
  void close_segment(segment& seg, time_point now) noexcept;
  std::size_t interval_of(time_point t) const noexcept;

  run_config config_;
  const step_source& source_;
  const std::uint64_t generation_;
  time_point start_{}, warm_end_{}, window_end_{};
  std::atomic<bool> aborted_{false};
  std::unique_ptr<ledger> ledger_;
  stall_probe probe_;
  std::vector<nanoseconds> schedule_;  // open loop: intended starts after start_
  std::atomic<std::size_t> next_arrival_{0};

  std::mutex mutex_;  // guards shards_ and facts_
  std::vector<std::unique_ptr<shard>> shards_;
  std::vector<std::pair<std::string, std::string>> facts_;
};

}  // namespace ccbench
