// The one driver: the closed-loop client, the open-loop generator, the stall
// probe and the step interpreter, written once for every model. A model hands
// the driver its primitives (a coroutine type, wait, yield, spawn, offload)
// and runs the driver's coroutines on its scheduler; the driver keeps the one
// client protocol, so that no model has a fast path the others lack:
//
//  - a closed-loop client takes task after task; it yields to its scheduler
//    before a task, as a server does when it reads the next request, so that a
//    task with no wait cannot keep the others (and the probe) from running,
//    unless the task starts with a step that suspends it at once anyway (a
//    wait, an offloaded step): that step is then the yield;
//  - a task is issued at its predecessor's completion stamp (one clock read
//    for both), and a first wait counts from it;
//  - in a cooperative model, every stretch a task runs on the scheduler
//    between two suspensions is a segment (slow resumes, busy ratio, the stall
//    log): it opens when the task resumes and closes at the stamp its next
//    wait starts from, or at its completion stamp;
//  - an exception from a step or an offload fails that task, never the run.
//
// The primitives a model M supplies (models/*/ has six examples):
//
//   template <class T> using task = ...;   coroutine type of the driver's coroutines
//   struct client { explicit client(M&); }; per-coroutine state (a timer, say)
//   static constexpr bool cooperative;     a wait frees the thread for other tasks
//                                          (false: the thread sleeps through io steps)
//   sleep_until(client&, time_point)       awaitable: a non-blocking wait
//   yield(client&)                         awaitable: let every other ready task run
//   spawn(task<void>)                      start a coroutine of the driver concurrently
//  optional:
//   sleep_for(client&, nanoseconds d, time_point from)   a wait until from + d, cheaper
//   time_point resume_stamp()              the stamp a task resumes at after a wait:
//                                          the clock reading that fired it, if ours
//                                          (default: a clock read)
//   block_elsewhere(client&, const step&)  awaitable: run a block step off the
//                                          scheduler (--offload thread)
//   cpu_elsewhere(client&, const step&, acc) awaitable<uint64_t>: a cpu step in a
//                                          worker process (--offload process)
//   wake_probe(client&, stall_probe&)      awaitable: p.woke() runs in the scheduler at
//                                          or after p.deadline() (default: sleep_until)
//   net_round_trip(client&, const step&) awaitable<uint64_t>: a net step's round
//                                          trip to the delay server (net_session.hpp)
//                                          in the model's I/O idiom; returns the
//                                          reply's digest (net::digest). A
//                                          cooperative model without it refuses
//                                          net steps; others run them with
//                                          run_step() (a blocking round trip)
//   net_connect(client&)                 awaitable: opens one connection to the delay
//                                          server into the pool net_round_trip takes
//                                          from (default for a model that runs net
//                                          steps with run_step(): a blocking one into
//                                          the session's, net::open_idle_connection()).
//                                          The driver opens them before the window
//                                          (see "Connections" below)
//   run_task(client&, const task&, task_steps) awaitable<uint64_t>: the whole task
//                                          elsewhere (worker processes); the driver
//                                          then runs no step itself
//   bool keep_going()                      after a failed task: false ends the client
//   static constexpr bool offload_frame    offloaded steps await in a coroutine of
//                                          their own (a smaller client frame)
//
// Connections (runs with net steps): each closed-loop client opens one with
// net_connect() before it takes its first task, so all are open before the
// window opens (at the last client's first task); an open-loop generator opens
// net::open_loop_connections() before its first arrival, and the window (and
// the schedule) wait for it (run_context::load_ready()). A connection that
// cannot be opened then is not an error yet: the task's round trip tries again
// and fails naming the address. A model of worker threads or processes opens
// one per worker itself (pool, procs: net_connect is then a no-op, or absent
// with run_task).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "harness/model.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"
#include "harness/routine.hpp"
#include "harness/run_context.hpp"
#include "harness/step_work.hpp"

namespace ccbench {

/// Where steps that would hold a scheduler thread go (--offload).
struct offload_plan {
  bool block = false;  ///< block steps to a thread (asyncio.to_thread)
  bool cpu = false;    ///< cpu steps to a worker process (a ProcessPoolExecutor)

  static offload_plan of(const model_options& o) noexcept {
    return {o.offload != offload_mode::none, o.offload == offload_mode::process};
  }
};

/// --offload process: the worker processes that cpu steps go to
/// (offload_process_count() of them, noted as `offload_processes`); none
/// otherwise. Destroy it before the scheduler whose coroutines await it.
inline std::optional<process_pool> offload_processes(model_context& ctx) {
  if (ctx.options().offload != offload_mode::process) return std::nullopt;
  const int n = offload_process_count(ctx.options());
  ctx.note("offload_processes", static_cast<double>(n));
  return std::optional<process_pool>(std::in_place, n);
}

/// The first exception that escaped a coroutine or a thread of a model: kept,
/// and rethrown by the model once everything it started has stopped, so that
/// the run becomes status `error` instead of a crash on some helper thread.
class first_error {
 public:
  void record(std::exception_ptr e) noexcept {
    if (!e) return;
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(e);
  }
  void rethrow_if_any() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

/// Routines started with start_here() and not yet ended, and wait() until
/// none is left: how a model without a scheduler of its own (a thread pool,
/// worker processes, fibers) knows its clients are done. Mutex and CondVar
/// let fibers wait without blocking their thread.
template <class Mutex = std::mutex, class CondVar = std::condition_variable>
class basic_routine_set : public first_error {
 public:
  /// Starts `r` on this thread; it counts as live until it ends, here or on
  /// whichever thread resumes it last.
  void start_here(routine<void> r) {
    adopt();
    start_adopted(std::move(r));
  }
  /// Counts a routine as live before it starts (e.g. before the fiber that
  /// will run it exists); start it with start_adopted().
  void adopt() {
    std::lock_guard lock(mutex_);
    ++live_;
  }
  void start_adopted(routine<void> r) noexcept { start_detached(std::move(r), &ended, this); }
  /// An adopted routine that will never start (its fiber could not be made).
  void forget_adopted() noexcept { ended(this, nullptr); }
  /// Blocks (the calling fiber, for fiber types) until no routine is live.
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return live_ == 0; });
  }
  /// wait() for at most `d`; true when no routine is live.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> d) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, d, [this] { return live_ == 0; });
  }

 private:
  static void ended(void* arg, std::exception_ptr e) noexcept {
    auto* self = static_cast<basic_routine_set*>(arg);
    self->record(std::move(e));
    std::lock_guard lock(self->mutex_);
    if (--self->live_ == 0) self->changed_.notify_all();  // under the lock: wait() may return
  }
  Mutex mutex_;
  CondVar changed_;
  std::size_t live_ = 0;
};
using routine_set = basic_routine_set<>;

/// What models whose coroutines are routines share: the coroutine type, and
/// no per-coroutine state. Derive a model's primitives from it.
struct routine_primitives {
  template <class T>
  using task = routine<T>;
  struct client {
    template <class M>
    explicit client(M&) noexcept {}
  };
};

/// The part of a run's load one driver runs: share `index` of `count`. A
/// model of several schedulers that share nothing (shards: a loop per core)
/// runs one driver per scheduler, each with its own share: concurrency / count
/// closed-loop clients (the first concurrency % count shares one more), or the
/// open-loop arrivals index, index + count, ... each at its intended start;
/// and its own stall probe. The default is the whole load.
struct load_share {
  std::size_t index = 0, count = 1;

  /// Closed-loop clients of this share out of `concurrency`.
  std::uint64_t clients(std::uint64_t concurrency) const noexcept {
    return concurrency / count + (index < concurrency % count ? 1 : 0);
  }
};

/// Runs the load plan of a run on model M's primitives (see the top of this
/// file). Construct it in the model's run(), then run probe() and the load
/// (start_load()) on the model's scheduler until they have all returned.
template <class M>
class driver {
 public:
  template <class T>
  using task_type = typename M::template task<T>;
  using client_state = typename M::client;
  static constexpr bool offloads_blocks = requires(M & m, client_state& c, const step& s) {
    m.block_elsewhere(c, s);
  };
  static constexpr bool offloads_cpu =
      requires(M & m, client_state& c, const step& s, std::uint64_t acc) {
    m.cpu_elsewhere(c, s, acc);
  };

  static constexpr bool awaits_net = requires(M & m, client_state& c, const step& s) {
    m.net_round_trip(c, s);
  };
  static constexpr bool connects = requires(M & m, client_state& c) { m.net_connect(c); };
  // The whole task runs elsewhere (worker processes): the driver runs no step.
  static constexpr bool runs_tasks =
      requires(M & m, client_state& c, const task& t, task_steps steps) {
    m.run_task(c, t, steps);
  };

  /// Throws std::invalid_argument when the run asks for an offload that M
  /// has no primitive for (the registry's traits keep the CLI from it), or
  /// has net steps that a cooperative M has no socket primitive for.
  driver(model_context& ctx, M& m) : driver(ctx, m, load_share{}) {}
  /// A driver of one share of the load (see load_share); call
  /// use_shares(ctx, share.count) once first.
  driver(model_context& ctx, M& m, load_share share)
      : ctx_(ctx.ctx_),
        m_(m),
        plan_(offload_plan::of(ctx.options())),
        share_(share),
        net_(ctx.ctx_.source().spec().has(step_kind::net)) {
    if ((plan_.block && !offloads_blocks) || (plan_.cpu && !offloads_cpu)) {
      throw std::invalid_argument("--offload " + std::string(to_string(ctx.options().offload)) +
                                  ": this model cannot offload those steps");
    }
    if (M::cooperative && !awaits_net && ctx_.source().spec().has(step_kind::net)) {
      throw std::invalid_argument(
          "net steps: this model has no awaitable socket primitive yet (a blocking recv "
          "would hold its scheduler thread)");
    }
  }
  /// Prepares the run for `count` drivers of one share each (a probe each).
  /// Call on the runner's thread before any of them runs.
  static void use_shares(model_context& ctx, std::size_t count) { ctx.ctx_.use_probes(count); }
  /// Tasks the calling thread completed inside the window so far: a share's
  /// throughput, when its scheduler is this one thread.
  static std::uint64_t completed_on_this_thread(model_context& ctx) noexcept {
    return ctx.ctx_.completed_on_this_thread();
  }
  /// The run's measured window (its edges lie at time_point::max() until it
  /// opens), for a model that measures something of its own over it. Any
  /// thread.
  static const run_window& window(model_context& ctx) noexcept { return ctx.ctx_.window(); }
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  /// The stall probe: wakes at each deadline in M's idiom until the window
  /// closes.
  task_type<void> probe();

  /// The load: the generator (open loop) or concurrency() clients, each
  /// handed to m.spawn(). If a spawn throws, the window closes at once (so
  /// that what was started ends) and the exception propagates: wait for
  /// what was started, then fail the run with it.
  void start_load();

  /// One closed-loop client (start_load() spawns concurrency() of them).
  task_type<void> client() { return serve(std::nullopt); }
  /// A closed-loop client of a run with net steps: its connection first,
  /// then client(). The window opens at the last client's first task, so
  /// with every connection open. (A coroutine apart, so that a client of
  /// other runs keeps its frame as it was.)
  task_type<void> connected_client();
  /// The open-loop generator: launches each arrival at its intended start.
  task_type<void> generator();

 private:
  // A closed-loop client (no `arrival`): task after task until the window
  // closes, in one coroutine, so a frame per client, not per task. Else one
  // open-loop arrival.
  task_type<void> serve(std::optional<task> arrival);
  // A step that leaves the scheduler (a block step to a thread, a cpu step to
  // a worker process, a net step's round trip) in a coroutine of its own, for a model that asks for
  // it (offload_frame): its awaiter and its failure path then take a frame only while such a step
  // runs, and a client's frame stays small (ten thousand of them do not fit in cache, and waking
  // one touches every line of it). Not for a model whose awaits finish in place (a fiber's): there
  // each such await would nest on the stack, unless the compiler made its symmetric transfer a tail
  // call, which sanitizer and debug builds do not. False: the task failed (reported).
  task_type<bool> elsewhere(client_state& c, const task& t, const step& s, std::uint64_t& sum);
  // Opens one connection for the run's net steps (net_connect, or a blocking
  // one into the session's pool); a failure is left for the round trip to meet.
  task_type<void> connect(client_state& c);
  // Whether M asks for elsewhere(); else serve() awaits the offload in place,
  // and its handler fails the task if the offload throws.
  static constexpr bool offload_frame = requires { requires M::offload_frame; };

  // Whether `s` suspends the task as soon as it starts (it runs nothing on
  // the scheduler thread).
  static bool suspends(const step& s, offload_plan plan) noexcept {
    switch (s.kind) {
      case step_kind::io:
        return M::cooperative;
      case step_kind::cpu:
        return plan.cpu;
      case step_kind::block:
        return plan.block;
      case step_kind::net:
        return M::cooperative;  // the constructor refused net steps M cannot await
    }
    return false;
  }
  // Draws the next step of task `id` at or after `index` into `s` (skipping
  // `@P%` steps it does not take) and moves `index` past it; false at the
  // end. task_steps' iterator does the same, but kept in a client's frame it
  // made the loop's closed loop ~10% slower per task (2026-11-27).
  static bool next_step(const step_source& source, std::uint64_t id, std::size_t& index,
                        step& s) noexcept {
    while (index < source.size()) {
      if (source.draw(id, index++, s)) return true;
    }
    return false;
  }
  // The task starts running on the scheduler thread now.
  static void running(run_context& ctx, segment& seg, const task& t) noexcept {
    if constexpr (M::cooperative) {
      ctx.resume(seg, t, clock::now());
    } else {
      ctx.dequeued(t);
    }
  }
  time_point resume_stamp() const noexcept {
    if constexpr (requires { m_.resume_stamp(); }) {
      return m_.resume_stamp();
    } else {
      return clock::now();
    }
  }
  bool keep_going() noexcept {
    if constexpr (requires { m_.keep_going(); }) {
      return m_.keep_going();
    } else {
      return true;
    }
  }
  static void failed(run_context& ctx, const task& t, std::exception_ptr e) noexcept;

  run_context& ctx_;
  M& m_;
  const offload_plan plan_;
  const load_share share_;
  const bool net_;  // the workload has net steps
};

/// For models that run no scheduler on the runner's thread (a thread pool,
/// worker processes): starts the probe on a thread of its own and the load
/// on this one (an open loop's generator then runs here until its schedule
/// ends: the dispatcher). A failure to start the load is kept in `live`.
/// Returns the probe's thread: join it once `live` is empty.
template <class M>
std::thread start_dispatching(driver<M>& d, routine_set& live) {
  std::thread probe([&d, &live] { live.start_here(d.probe()); });
  try {
    d.start_load();
  } catch (...) {
    live.record(std::current_exception());
  }
  return probe;
}

// ---- implementation --------------------------------------------------------

template <class M>
void driver<M>::failed(run_context& ctx, const task& t, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& x) {
    ctx.fail(t, x.what());
  } catch (...) {
    ctx.fail(t, "an exception that is not a std::exception");
  }
}

template <class M>
auto driver<M>::probe() -> task_type<void> {
  client_state c(m_);
  stall_probe& p = ctx_.probe(share_.index);
  while (!ctx_.stopping()) {
    if constexpr (requires { m_.wake_probe(c, p); }) {
      co_await m_.wake_probe(c, p);
    } else {
      co_await m_.sleep_until(c, p.deadline());
      p.woke();
    }
  }
}

template <class M>
void driver<M>::start_load() {
  try {
    if (ctx_.open_loop()) {
      m_.spawn(generator());
    } else {
      const std::uint64_t n = share_.clients(ctx_.concurrency());
      const bool connect_first = net_ && !runs_tasks;
      for (std::uint64_t i = 0; i < n; ++i) m_.spawn(connect_first ? connected_client() : client());
    }
  } catch (...) {
    ctx_.close_window();
    throw;
  }
}

template <class M>
auto driver<M>::connect(client_state& c) -> task_type<void> {
  try {
    if constexpr (connects) {
      co_await m_.net_connect(c);
    } else {
      net::open_idle_connection();
    }
  } catch (...) {
    // Refused or unreachable: the task's round trip tries again and fails,
    // naming the address; the run goes on (and the window opens).
  }
  co_return;
}

template <class M>
auto driver<M>::connected_client() -> task_type<void> {
  {
    client_state c(m_);
    co_await connect(c);
  }
  co_await client();
}

template <class M>
auto driver<M>::generator() -> task_type<void> {
  client_state c(m_);
  if (net_) {
    // This share's connections, then the window (its schedule counts from
    // there, so no arrival waits for a connect).
    if constexpr (!runs_tasks) {
      const std::uint64_t n = share_.clients(
          net::open_loop_connections(ctx_.config().rate, ctx_.source().spec().mean_task_time()));
      for (std::uint64_t i = 0; i < n; ++i) co_await connect(c);
    }
    ctx_.load_ready();
    while (!ctx_.window().known() && !ctx_.aborted()) {
      co_await m_.sleep_until(c, clock::now() + std::chrono::microseconds(200));
    }
  }
  if (share_.count > 1) {
    // One share of the schedule: every count-th arrival, at its intended start.
    for (std::size_t i = share_.index;; i += share_.count) {
      std::optional<task> t = ctx_.arrival(i);
      if (!t) break;
      co_await m_.sleep_until(c, t->intended_start);
      ctx_.launched(*t);
      m_.spawn(serve(*t));
    }
    co_return;
  }
  while (std::optional<task> t = ctx_.next_arrival()) {
    co_await m_.sleep_until(c, t->intended_start);
    ctx_.launched(*t);
    m_.spawn(serve(*t));
  }
}

template <class M>
auto driver<M>::elsewhere(client_state& c, const task& t, const step& s, std::uint64_t& sum)
    -> task_type<bool> {
  std::exception_ptr error;
  try {
    // The constructor made sure the plan asks only for what M can do.
    if (s.kind == step_kind::net) {
      if constexpr (awaits_net) sum = fold_checksum(sum, co_await m_.net_round_trip(c, s));
    } else if (s.kind == step_kind::cpu) {
      if constexpr (offloads_cpu) sum = co_await m_.cpu_elsewhere(c, s, sum);
    } else {
      if constexpr (offloads_blocks) co_await m_.block_elsewhere(c, s);
    }
    co_return true;
  } catch (...) {
    error = std::current_exception();
  }
  failed(ctx_, t, std::move(error));
  co_return false;
}

template <class M>
auto driver<M>::serve(std::optional<task> arrival) -> task_type<void> {
  client_state c(m_);
  const bool closed = !arrival;
  std::optional<task>& t = arrival;
  if (closed) t = ctx_.first_task();

  if constexpr (runs_tasks) {
    // The whole task runs elsewhere (a worker process); the driver only
    // issues and reports it.
    while (t) {
      std::uint64_t sum = 0;
      bool ok = true;  // false: the task failed, and was reported
      try {
        sum = co_await m_.run_task(c, *t, ctx_.steps(*t));
      } catch (...) {
        ok = false;
        failed(ctx_, *t, std::current_exception());
      }
      if (!ok) {
        if (!closed || !keep_going()) break;
        t = ctx_.next_task();
        continue;
      }
      segment none;  // never opened: nothing ran on a scheduler of ours
      if (!closed) {
        ctx_.complete(*t, sum, none);
        break;
      }
      if (!ctx_.complete_and_next(*t, sum, none)) break;
    }
    co_return;
  } else {
    // In locals, not through `this`: one load less each, several times a task.
    run_context& ctx = ctx_;
    const step_source& source = ctx.source();
    const offload_plan plan = plan_;
    step s;
    segment seg;  // closed between tasks
    if (!closed) {
      // An arrival runs as soon as it starts, in a cooperative model; a pool
      // queues it first, like any request it is handed.
      if constexpr (!M::cooperative) co_await m_.yield(c);
      running(ctx, seg, *t);
    }
    while (t) {
      std::size_t index = 0;
      bool more = next_step(source, t->id, index, s);
      // A closed-loop task whose first step suspends opens no segment here.
      if (closed && (!more || !suspends(s, plan))) {
        co_await m_.yield(c);
        running(ctx, seg, *t);
      }
      std::uint64_t sum = 0;
      bool ok = true;  // false: the task failed, and was reported
      try {
        for (; ok && more; more = next_step(source, t->id, index, s)) {
          if (!suspends(s, plan)) {
            if constexpr (M::cooperative) seg.step(s.index, s.kind);
            sum = run_step(s, sum);  // holds the scheduler thread: the point of the exercise
          } else if (s.kind == step_kind::io) {
            // A task that has not run yet (no segment open) waits from its
            // issue stamp. Not inside the co_await expression: there g++ 12
            // evaluates both arms of a ?:, and the close would read the
            // clock for nothing.
            const time_point from = seg.open() ? seg.close() : t->intended_start;
            if constexpr (requires { m_.sleep_for(c, s.duration, from); }) {
              co_await m_.sleep_for(c, s.duration, from);
            } else {
              co_await m_.sleep_until(c, from + s.duration);
            }
            ctx.resume(seg, *t, resume_stamp());
          } else {
            // A net step's round trip, or an offloaded step. With offload_frame
            // both await in elsewhere(): the client's frame gains nothing for
            // net steps.
            seg.close();
            if constexpr (offload_frame) {
              ok = co_await elsewhere(c, *t, s, sum);
            } else if (s.kind == step_kind::net) {
              if constexpr (awaits_net) sum = fold_checksum(sum, co_await m_.net_round_trip(c, s));
            } else if (s.kind == step_kind::cpu) {
              if constexpr (offloads_cpu) sum = co_await m_.cpu_elsewhere(c, s, sum);
            } else {
              if constexpr (offloads_blocks) co_await m_.block_elsewhere(c, s);
            }
            ctx.resume(seg, *t, clock::now());
          }
        }
      } catch (const std::exception& x) {
        // Caught by type here, not rethrown in failed(): a second throw, at
        // another depth of a fiber's stack, trips ASan (which cannot see that
        // stack) over the stale poison the first one left (a false positive).
        ok = false;
        ctx.fail(*t, x.what());
      } catch (...) {
        ok = false;
        failed(ctx, *t, std::current_exception());
      }
      if (!ok) {
        seg.close();
        if (!closed || !keep_going()) break;
        // A step that fails before it suspends (a refused connection) would
        // otherwise let a client whose tasks start with a suspending step
        // fail task after task without letting the others run.
        co_await m_.yield(c);
        t = ctx.next_task();
        continue;
      }
      if (!closed) {
        ctx.complete(*t, sum, seg);
        break;
      }
      if (!ctx.complete_and_next(*t, sum, seg)) break;
    }
  }
}

}  // namespace ccbench
