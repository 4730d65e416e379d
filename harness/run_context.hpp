// One run's shared state: the load plan, the steps of each task, and the
// recorders. The driver (harness/driver.hpp) and the runner use it; a model
// sees only model_context (harness/model.hpp). The harness stamps every time
// itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/run_config.hpp"
#include "harness/run_record.hpp"
#include "harness/step_source.hpp"

namespace ccbench {

/// The measured window's edges. A closed loop fixes them once every client
/// has taken its first task (the ramp): the warm-up starts then, so that a
/// slow start (200,000 fibers to create) cannot eat the window. Until then
/// they lie at time_point::max(): nothing is measured and nothing stops. Any
/// thread reads them (relaxed: a thread that sees the old value a moment
/// longer runs one task more).
class run_window {
 public:
  /// The warm-up's start: the time series' first interval begins here.
  time_point origin() const noexcept { return at(origin_); }
  time_point warm_end() const noexcept { return at(warm_end_); }
  time_point end() const noexcept { return at(end_); }
  bool known() const noexcept { return end() != time_point::max(); }

  /// Both edges, read once: for a caller that compares several stamps.
  struct edges {
    time_point warm_end, end;
    /// `t` falls in the measured window.
    bool cover(time_point t) const noexcept { return t >= warm_end && t < end; }
  };
  edges now_known() const noexcept { return {warm_end(), end()}; }

  /// The warm-up starts at `from`; the window follows it.
  void open(time_point from, nanoseconds warmup, nanoseconds duration) noexcept {
    origin_.store(from.time_since_epoch().count(), std::memory_order_relaxed);
    warm_end_.store((from + warmup).time_since_epoch().count(), std::memory_order_relaxed);
    end_.store((from + warmup + duration).time_since_epoch().count(), std::memory_order_relaxed);
  }
  /// Ends the window at `now` if it ends later (a window never opened then
  /// opens and ends at `now`: nothing is measured).
  void close(time_point now) noexcept {
    const std::int64_t t = now.time_since_epoch().count();
    if (end_.load(std::memory_order_relaxed) <= t) return;
    if (!known()) {
      origin_.store(t, std::memory_order_relaxed);
      warm_end_.store(t, std::memory_order_relaxed);
    }
    end_.store(t, std::memory_order_relaxed);
  }

 private:
  static constexpr std::int64_t unknown = time_point::max().time_since_epoch().count();
  static time_point at(const std::atomic<std::int64_t>& v) noexcept {
    return time_point(nanoseconds(v.load(std::memory_order_relaxed)));
  }
  std::atomic<std::int64_t> origin_{unknown}, warm_end_{unknown}, end_{unknown};
};

/// A task handed to the driver. Its steps are `ctx.steps(task)`.
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
  void woke() noexcept { woke_at(clock::now()); }
  /// woke() at `now`, a stamp taken on CLOCK_MONOTONIC by another process
  /// (a model whose scheduler runs there): in order, one wake-up per call.
  void woke_at(time_point now) noexcept;

 private:
  friend class run_context;
  struct event {
    time_point start;
    std::int64_t length_ns;
  };
  nanoseconds period_{};
  nanoseconds threshold_{};
  nanoseconds interval_{};
  const run_window* window_ = nullptr;
  time_point deadline_{};
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
  /// Returns the stamp it closed at (now), e.g. to start a sleep from.
  time_point close() noexcept;
  /// close() at `now`, a stamp this thread just took from the harness (what
  /// complete() returned), instead of a clock read of its own.
  void close(time_point now) noexcept;
  /// Opened by resume() and not closed since.
  bool open() const noexcept { return ctx_ != nullptr; }

 private:
  friend class run_context;
  // The synchronous step running since mark_ ends at `now`: keeps the longest.
  void end_step(time_point now) noexcept;

  run_context* ctx_ = nullptr;
  std::uint64_t task_ = 0;
  time_point start_{};
  // A step runs (since mark_) when current_index_ >= 0; the longest so far is
  // known when longest_index_ >= 0. The fields beside each are set with it,
  // so that opening a segment writes only the two indexes.
  std::int32_t current_index_ = -1, longest_index_ = -1;
  time_point mark_{};
  std::int64_t longest_ns_ = 0;
  step_kind current_kind_ = step_kind::io, longest_kind_ = step_kind::io;
};

/// One run's shared state. The driver calls the methods in the first groups;
/// the runner calls the rest. The driver's are thread-safe and noexcept.
class run_context {
 public:
  run_context(const run_config& config, const step_source& source);
  ~run_context();
  run_context(const run_context&) = delete;
  run_context& operator=(const run_context&) = delete;

  // ---- for the driver: the load --------------------------------------------

  const model_options& options() const noexcept { return config_.options; }
  /// True for --rate (open loop): drive next_arrival(); else next_task().
  bool open_loop() const noexcept { return config_.arrival == arrival_kind::open; }
  /// Closed loop: how many clients keep a task in flight.
  std::uint64_t concurrency() const noexcept { return config_.concurrency; }

  /// Closed loop: a client's first task, stamped with now as its intended and
  /// actual start. The last client to take its first task opens the window
  /// (run_window). nullopt once the window has closed or the run was aborted.
  std::optional<task> first_task() noexcept;
  /// Closed loop: the next task for a client whose previous task just finished
  /// (or failed), stamped with now as its intended and actual start; nullopt
  /// once the measured window has closed or the run was aborted.
  std::optional<task> next_task() noexcept;

  /// Open loop: the next arrival of the precomputed Poisson schedule, in order.
  /// Its intended_start may lie ahead (wait for it in the model's idiom, then
  /// call launched()) or behind (the generator fell behind: launch at once).
  /// nullopt when the schedule is exhausted or the run was aborted.
  std::optional<task> next_arrival() noexcept;
  /// Open loop, a run with net steps: the window waits for the load. Each
  /// driver calls this once its connections are open (one call per share,
  /// use_probes()); the last opens the window, and the schedule counts from
  /// there. Take no arrival before the window is known. Other runs: nothing
  /// (their window opened at start()).
  void load_ready() noexcept;
  /// Whether an open loop's window waits for load_ready().
  bool window_waits_for_load() const noexcept { return hold_open_; }
  /// Open loop: the model starts `t` now. Stamps actual_start (the uncorrected
  /// latency is measured from it) and how far the generator lagged its schedule.
  void launched(task& t) noexcept;

  /// The steps of `t`, drawn deterministically from its id.
  task_steps steps(const task& t) const noexcept { return task_steps(source_, t.id); }
  const step_source& source() const noexcept { return source_; }

  /// `t` finished; `checksum` folds its cpu steps' results (fold_checksum).
  /// Stamps the completion, records the latency, verifies the checksum, and
  /// closes `seg` (the task's last stretch, if open) at the completion stamp,
  /// which it returns. A second completion of a task is an error, found here
  /// when both happen on this thread close together, else when the thread's
  /// gathered completions reach the ledger (at the latest in finish()).
  time_point complete(const task& t, std::uint64_t checksum, segment& seg) noexcept;
  /// Closed loop: complete(t, checksum, seg), then `t` becomes the client's
  /// next task, issued at the completion stamp (no second clock read).
  /// False once the window has closed or the run was aborted (`t` then still
  /// names the task that completed). One call for what a client does between
  /// two tasks, with one lookup of this thread's records and one check for an
  /// abort: about 20 instructions fewer than the three calls, which matters
  /// where a task costs a few hundred (the loop model).
  bool complete_and_next(task& t, std::uint64_t checksum, segment& seg) noexcept;
  /// `t` ended with an exception or another failure; counted as an error.
  void fail(const task& t, std::string_view what) noexcept;

  // ---- for the driver: instruments -------------------------------------------

  stall_probe& probe() noexcept { return probe_; }
  /// Probe `i` of those use_probes() made (0 is probe()): one per scheduler
  /// that shares nothing with the others (shards).
  stall_probe& probe(std::size_t i) noexcept { return i == 0 ? probe_ : *extra_probes_[i - 1]; }
  /// Makes probes 1 .. n-1 beside probe(), each due one period after the
  /// run's start. Call after start() and before any driver runs; finish()
  /// merges them all into the one stall summary.
  void use_probes(std::size_t n);
  /// Open loop, for a driver that runs one share of the schedule: arrival `i`
  /// of it (next_arrival() takes them in order from every thread instead).
  /// nullopt past its end, past the window's close, or once aborted.
  std::optional<task> arrival(std::size_t i) noexcept;
  /// Tasks the calling thread completed inside the window so far (one
  /// scheduler's share of the throughput, for a model of several).
  std::uint64_t completed_on_this_thread() noexcept { return local_shard().completed; }
  /// Cooperative models: `t` resumes on this scheduler thread at `now` (a
  /// stamp this thread just took, with nothing run since), into `seg`, which
  /// must not be open (see segment).
  void resume(segment& seg, const task& t, time_point now) noexcept;
  /// Pool-like models: `t` leaves the queue and starts running on a worker now
  /// (records the ready-to-running wait).
  void dequeued(const task& t) noexcept;

  /// True once clients should stop (window closed, or aborted): ends probes.
  bool stopping() const noexcept;
  /// Ends the window now (a model that could not start its load): what was
  /// started then stops.
  void close_window() noexcept { window_.close(clock::now()); }
  const run_window& window() const noexcept { return window_; }
  /// Closed loop: clients that have taken their first task so far.
  std::uint64_t clients_started() const noexcept { return clients_started_.load(); }
  /// True once the watchdog gave up on the run: return as soon as possible.
  bool aborted() const noexcept { return aborted_.load(std::memory_order_relaxed); }

  // ---- for a model whose scheduler runs in another process -------------------
  // That process takes the stamps (on CLOCK_MONOTONIC, this clock) and the
  // model replays them here, in the order they happened, from one thread:
  // the same recorders, ledger and checks as every other model's.

  /// The run's configuration (durations, stall period) to hand to that process.
  const run_config& config() const noexcept { return config_; }
  /// Closed loop: a fresh id for a task handed to that process ahead of time.
  std::uint64_t issue_id() noexcept { return issue(); }
  /// An id from issue_id() or next_arrival() that was handed out but never
  /// started: not counted as issued (a completion of it is an error).
  void unissue(std::uint64_t id) noexcept;
  /// Closed loop: a client took its first task at `at`; the last client's
  /// opens the window there (first_task()).
  void replay_first_task(time_point at) noexcept;
  /// Open loop: launched(t) at `at`.
  void replay_launch(task& t, time_point at) noexcept;
  /// `t` (intended and actual start as that process stamped them) completed at
  /// `at` with `checksum`: recorded as complete() records it. No segment: the
  /// stretches it ran were not timed.
  void replay_completion(const task& t, std::uint64_t checksum, time_point at) noexcept;

  /// Records a fact about the model for the results (scheduler, stack size...).
  /// Takes a lock; may throw std::bad_alloc.
  void note(std::string key, std::string value);
  /// A fact that is a number (a thread count, a size): written as a JSON number.
  void note(std::string key, double value);

  // ---- for the runner ------------------------------------------------------

  /// Starts the clock (and lays out the open-loop schedule from here). An
  /// open loop's window opens at once (with net steps: at load_ready()); a
  /// closed loop's once its clients have started (first_task()). `on_open`, if given, is called
  /// once then, on the thread that opened it: it must not block.
  void start(std::function<void(const run_window&)> on_open = {});
  void abort() noexcept { aborted_.store(true, std::memory_order_relaxed); }
  /// Merges the per-thread recorders into `out` (counts, latency, stalls, facts)
  /// and checks that every issued task completed exactly once.
  void finish(struct run_record& out);

  /// --precision (config.precision > 0): the latencies of the window's
  /// completions so far, as far as the threads have handed them over: each
  /// thread hands over a time-series interval once it has moved past it, so
  /// up to an interval per thread is missing (never extra). Any thread (the
  /// runner's monitor): takes the shards' locks, never the hot path's. Empty
  /// without --precision.
  histogram window_latency_so_far();
  /// Ends the window at `now` (--precision reached) if it ends later.
  void close_window_at(time_point now) noexcept { window_.close(now); }
  /// The measured window's length: `duration`, or with --precision what it
  /// came to (closed early, or at `max_duration`).
  nanoseconds window_length() const noexcept;

 private:
  friend class segment;
  class ledger;
  // What each thread records, merged by finish().
  struct shard {
    histogram latency;
    histogram uncorrected;  // open loop only: in the closed loop it equals latency
    histogram resumes;
    histogram queue_wait;
    // Ids taken from the ledger and not handed out yet: [id_next, id_end).
    std::uint64_t id_next = 0, id_end = 0;
    std::uint64_t ids_unused = 0;  // ids finish() found never handed out
    // Completions not yet in the ledger: bits of ledger word mark_word.
    std::uint64_t mark_word = ~std::uint64_t{0}, mark_bits = 0;
    std::uint64_t completed = 0;
    std::uint64_t drained = 0;
    std::uint64_t errors = 0;
    std::uint64_t slow = 0;
    std::int64_t busy_ns = 0;
    std::int64_t generator_lag_ns = -1;
    std::string first_error;
    std::vector<stall_event> stalls;  // raw: at_ms holds ns from start_ until finish()
    std::vector<std::unique_ptr<histogram>> series;  // completions' latency per interval
    // The series interval the last completion fell in, [series_from, series_to):
    // the next one almost always falls in it too, which spares a division.
    histogram* series_now = nullptr;
    time_point series_from{}, series_to{};
    // --precision: the window's intervals this thread has moved past, merged,
    // for window_latency_so_far() on another thread.
    std::mutex handed_over_mutex;
    std::unique_ptr<histogram> handed_over;
    // A mix's classes (mixed_ only): latency and counts per class.
    std::vector<histogram> class_latency;
    std::vector<std::uint64_t> class_completed, class_drained;
  };
  // The calling thread's shard: a TLS load and a compare after the first call
  // on a thread; the generation (not the address) tells runs apart, as a
  // context may be allocated where the previous one was.
  static inline thread_local shard* tls_shard_ = nullptr;
  static inline thread_local std::uint64_t tls_generation_ = 0;
  shard& local_shard() noexcept {
    if (tls_generation_ != generation_) [[unlikely]]
      return add_shard();
    return *tls_shard_;
  }
  shard& add_shard() noexcept;
  std::uint64_t issue() noexcept { return issue(local_shard()); }
  // A closed-loop task issued at `now`, unless the window closed.
  std::optional<task> issue_at(time_point now) noexcept;
  std::uint64_t issue(shard& s) noexcept;
  std::uint64_t issue_block(shard& s) noexcept;
  bool mark(shard& s, std::uint64_t id) noexcept;
  void flush_marks(shard& s) noexcept;
  void record_error(shard& s, std::string what) noexcept;
  [[gnu::cold, gnu::noinline]] void completed_twice(shard& s, std::uint64_t id) noexcept;
  [[gnu::cold, gnu::noinline]] void wrong_checksum(shard& s, std::uint64_t id, std::uint64_t got,
                                                   std::uint64_t want) noexcept;
  // Inlined into the complete()s (run_context.cpp).
  [[gnu::always_inline]] inline void record_completion(shard& s, const task& t,
                                                       std::uint64_t checksum, time_point now,
                                                       const run_window::edges& w) noexcept;
  // complete(t, checksum, seg) at `now`: this thread's records, or null when
  // the run was aborted (then nothing is recorded and `seg` is closed).
  [[gnu::always_inline]] inline shard* complete_at(const task& t, std::uint64_t checksum,
                                                   segment& seg, time_point now,
                                                   const run_window::edges& w) noexcept;
  void close_segment(segment& seg, time_point now) noexcept;
  // finish(), step by step.
  struct merged;
  void settle_ledger() noexcept;
  merged merge_shards() const;
  void count_tasks(const merged& m, run_record& out) const;
  void summarize_latency(const merged& m, run_record& out) const;
  void summarize_probe(run_record& out);
  void summarize_segments(const merged& m, run_record& out) const;
  void summarize_classes(const merged& m, run_record& out) const;
  // A mix's task completed in or after the window: its class's records.
  [[gnu::noinline]] void record_class(shard& s, std::uint64_t id, std::int64_t latency,
                                      bool in_window) noexcept;
  std::vector<stall_event> stall_log(std::vector<stall_event> stalls) const;
  ccbench::time_series time_series(const std::vector<histogram>& series) const;
  // close_segment() once the run is known not aborted, with `s` looked up.
  void close_segment(shard& s, segment& seg, time_point now, const run_window::edges& w) noexcept {
    if (seg.ctx_ == nullptr) return;  // closed already
    seg.ctx_ = nullptr;
    seg.end_step(now);
    record_closed(s, seg, now, w);
  }
  // A segment counts when it began in the window. One that began in the
  // warm-up and ran into the window counts only in the stall log, if long:
  // it is what held the probe whose stall reaches into the window.
  void record_closed(shard& s, const segment& seg, time_point now,
                     const run_window::edges& w) noexcept {
    if (w.cover(seg.start_)) {
      record_segment(s, seg, now);
    } else if (seg.start_ < w.warm_end && now > w.warm_end) [[unlikely]] {
      if (const std::int64_t length = (now - seg.start_).count();
          length > config_.stall_threshold.count()) {
        record_stall(s, seg, length);
      }
    }
  }
  void record_segment(shard& s, const segment& seg, time_point now) noexcept;
  void enter_interval(shard& s, time_point now) noexcept;
  void hand_over(shard& s) noexcept;
  void open_window(time_point now) noexcept;
  // Out of line: the rare case, kept off close_segment's fast path.
  [[gnu::noinline]] void record_stall(shard& s, const segment& seg, std::int64_t length) noexcept;

  run_config config_;
  const step_source& source_;
  const std::uint64_t generation_;
  time_point start_{};
  run_window window_;
  std::atomic<std::uint64_t> clients_started_{0};
  std::function<void(const run_window&)> on_open_;
  bool latency_in_series_ = false;  // see complete()
  bool mixed_ = false;              // a mix of two request classes or more
  std::atomic<bool> aborted_{false};
  std::unique_ptr<ledger> ledger_;
  stall_probe probe_;
  std::vector<std::unique_ptr<stall_probe>> extra_probes_;  // use_probes()
  std::vector<nanoseconds> schedule_;  // open loop: intended starts after the window's origin
  std::atomic<std::size_t> next_arrival_{0};
  bool hold_open_ = false;  // open loop with net steps: see load_ready()
  std::atomic<std::size_t> loads_ready_{0};

  std::mutex mutex_;  // guards shards_ and facts_
  std::vector<std::unique_ptr<shard>> shards_;
  std::vector<model_fact> facts_;
};

// Inline: these run several times per task, and returning a segment or task
// through memory from a call costs store-forwarding stalls when the caller
// copies it into its coroutine frame.

inline std::uint64_t run_context::issue(shard& s) noexcept {
  if (s.id_next == s.id_end) [[unlikely]]
    return issue_block(s);
  return s.id_next++;
}

inline void segment::end_step(time_point now) noexcept {
  if (current_index_ < 0) return;
  const std::int64_t length = (now - mark_).count();
  if (longest_index_ < 0 || length > longest_ns_) {
    longest_ns_ = length;
    longest_index_ = current_index_;
    longest_kind_ = current_kind_;
  }
}

inline void run_context::close_segment(segment& seg, time_point now) noexcept {
  seg.end_step(now);
  if (!aborted()) record_closed(local_shard(), seg, now, window_.now_known());
}

inline void run_context::record_segment(shard& s, const segment& seg, time_point now) noexcept {
  const std::int64_t length = (now - seg.start_).count();
  s.resumes.record(length);
  s.busy_ns += length;
  if (length > config_.slow_threshold.count()) ++s.slow;
  if (length > config_.stall_threshold.count()) [[unlikely]]
    record_stall(s, seg, length);
}

inline std::optional<task> run_context::next_task() noexcept { return issue_at(clock::now()); }

inline std::optional<task> run_context::issue_at(time_point now) noexcept {
  if (now >= window_.end() || aborted()) return std::nullopt;
  return task{issue(), now, now};
}

inline void run_context::resume(segment& seg, const task& t, time_point now) noexcept {
  seg.ctx_ = this;
  seg.task_ = t.id;
  seg.start_ = now;
  seg.current_index_ = seg.longest_index_ = -1;
}

inline time_point segment::close() noexcept {
  const time_point now = clock::now();
  close(now);
  return now;
}

inline void segment::close(time_point now) noexcept {
  if (ctx_ == nullptr) return;
  run_context* ctx = ctx_;
  ctx_ = nullptr;
  ctx->close_segment(*this, now);
}

}  // namespace ccbench
