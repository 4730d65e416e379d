#include "models/fiber/fiber_model.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/future.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/pooled_fixedsize_stack.hpp>
#include <boost/fiber/scheduler.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/driver.hpp"
#include "harness/net_protocol.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"
#include "harness/thread_pool.hpp"
#include "models/fiber/fiber_net.hpp"

namespace ccbench::models {
namespace {

namespace fibers = boost::fibers;
using fibernet::net_poller;
using fibernet::stamped_round_robin;

// Each fiber's stack. The fibers here are shallow: a loop over a task's steps
// that calls the harness (next_task, complete, fail), cpu_burn (a leaf),
// block_for (one clock_nanosleep), Boost.Fiber's sleep and future waits, and
// at most a std::thread start and an exception unwind. Painting the stacks
// showed at most 6.2 KiB used in a Release build and 7.5 KiB under ASan, on
// every step kind, with --offload thread and with a throwing step. Pooled
// stacks have no guard page, so an overflow would corrupt the next stack
// silently: 32 KiB leaves more than 4x. The size hardly costs memory: a fiber
// keeps about 12 KiB resident (the two pages it uses at the top, and the
// first page, where boost::pool keeps its free list), whatever the size.
constexpr std::size_t stack_bytes = 32 * 1024;

// boost::context's pooled_fixedsize_stack is a boost::pool: fast, but not
// thread-safe. With several scheduler threads a fiber's stack is freed on the
// thread where the fiber ended, concurrently with others, so every allocation
// and release goes through one mutex (once per fiber, not per switch).
class locked_stack_pool {
 public:
  explicit locked_stack_pool(std::size_t stack_size)
      // Blocks grow from 64 stacks and are capped at 1024 (32 MiB), so 100k
      // fibers never ask malloc for one multi-gigabyte block.
      : shared_(std::make_shared<shared>(stack_size, 64, 1024)) {}

  boost::context::stack_context allocate() {
    std::lock_guard lock(shared_->mutex);
    return shared_->pool.allocate();
  }
  void deallocate(boost::context::stack_context& sctx) noexcept {
    std::lock_guard lock(shared_->mutex);
    shared_->pool.deallocate(sctx);
  }

 private:
  struct shared {
    shared(std::size_t size, std::size_t next, std::size_t max) : pool(size, next, max) {}
    std::mutex mutex;
    fibers::pooled_fixedsize_stack pool;
  };
  std::shared_ptr<shared> shared_;
};

// Runs step `s` (a block step) on `pool` and suspends the calling fiber (not
// its thread) until it is done; rethrows what the step threw. The pool
// thread owns the promise while it runs the step: the fiber may wake and
// drop the job the moment the promise is set.
void run_on(lazy_thread_pool& pool, const step& s) {
  struct job final : lazy_thread_pool::job {
    const step* what = nullptr;
    fibers::promise<void> done;
    void run() noexcept override {
      fibers::promise<void> p = std::move(done);
      // set_value from a plain thread is supported: Boost.Fiber gives this
      // thread a scheduler of its own and wakes the fiber on its scheduler's
      // remote-ready queue.
      try {
        run_step(*what, 0);
        p.set_value();
      } catch (...) {
        p.set_exception(std::current_exception());
      }
    }
  };
  job j;
  j.what = &s;
  fibers::future<void> finished = j.done.get_future();
  pool.submit(j);
  finished.get();
}

// The driver's coroutines that are running, each in a fiber of its own. Fiber
// mutex and condition variable: waiting suspends only the waiting fiber, and
// they work across the scheduler threads.
using fiber_routines = basic_routine_set<fibers::mutex, fibers::condition_variable>;

// When the helper threads may leave their scheduler (every fiber has ended).
struct helpers_release {
  fibers::mutex mutex;
  fibers::condition_variable changed;
  bool done = false;
  // Held by the runner's thread while it wakes the helpers' main fibers: each
  // wake-up ends in the helper's scheduler (its remote-ready queue, then its
  // algorithm's notify()), so no helper may leave, which destroys its
  // thread-local scheduler, before the last one has returned. (ASan saw a
  // helper woken by its own deadline finish first.)
  std::mutex waking;
};

class shared_queue;

// The scheduler threads of one run, so that one can wake another, and the
// ready queue they share.
struct scheduler_peers {
  explicit scheduler_peers(int threads) : slots(static_cast<std::size_t>(threads)) {}
  std::vector<std::atomic<shared_queue*>> slots;
  std::mutex mutex;  // guards ready
  std::deque<fibers::context*> ready;
  net_poller* poller = nullptr;  // a run with net steps
};

// Boost's shared_work, with two of its behaviours fixed (NOTES.md):
//  - a thread that finds the shared queue empty sleeps until its own next
//    timer: a fiber queued by another thread does not wake it, and on 2 threads
//    one thread slept through about half the runs. Here a thread about to sleep
//    says so, and a thread that queues a fiber wakes one such idle peer (one
//    atomic load per peer per ready fiber);
//  - its dispatcher fiber (which moves sleepers whose timers expired to the
//    ready queue) runs only when the shared queue is empty, so while fibers
//    keep yielding no timer ever fires. Here every 16th pick gives this thread's
//    own queue (dispatcher, main fiber) its turn first.
// The queue belongs to the run (Boost's is one static queue per process).
//
// Net steps (a run with a net_poller, fiber_net.hpp): one thread at a time
// holds the poll. An idle thread takes it while a socket wait is pending and
// waits in the epoll instead of on its condition variable; the others wait on
// theirs. A busy thread's dispatcher looks without blocking at its turn (every
// 16th pick) when the poll is free. A thread that lets the poll go while a
// socket wait is pending wakes an idle peer that is not in the epoll, which
// takes it: so while any thread is idle, one of them waits in the epoll. The
// fibers it finds ready go to the shared queue (or, when they last ran on
// another thread, through that thread's remote-ready queue) like any wake-up.
class shared_queue final : public fibers::algo::algorithm {
 public:
  shared_queue(scheduler_peers& peers, std::size_t slot) : peers_(peers), slot_(slot) {
    peers_.slots[slot_].store(this);
  }
  ~shared_queue() override { peers_.slots[slot_].store(nullptr); }

  void awakened(fibers::context* ctx) noexcept override {
    if (ctx->is_context(fibers::type::pinned_context)) {
      local_.push_back(*ctx);  // this thread's main or dispatcher fiber: only it may run them
      return;
    }
    ctx->detach();
    {
      std::lock_guard lock(peers_.mutex);
      peers_.ready.push_back(ctx);
    }
    for (std::atomic<shared_queue*>& slot : peers_.slots) {
      shared_queue* peer = slot.load();
      // exchange: one wake-up per sleeper, so the next fiber wakes another.
      if (peer != nullptr && peer != this && peer->idle_.load() && peer->idle_.exchange(false)) {
        peer->notify();
        return;
      }
    }
  }

  fibers::context* pick_next() noexcept override {
    if (net_poller* p = peers_.poller;
        p != nullptr && p->pending() &&
        fibers::context::active()->is_context(fibers::type::dispatcher_context) &&
        has_ready_fibers() && p->try_poll()) {
      p->harvest(0);
      end_poll(*p);
    }
    if ((++picks_ & 15) == 0 && !local_.empty()) return take_local();
    {
      std::unique_lock lock(peers_.mutex);
      if (!peers_.ready.empty()) {
        fibers::context* ctx = peers_.ready.front();
        peers_.ready.pop_front();
        lock.unlock();
        fibers::context::active()->attach(ctx);
        return ctx;
      }
    }
    return local_.empty() ? nullptr : take_local();
  }

  bool has_ready_fibers() const noexcept override {
    std::lock_guard lock(peers_.mutex);
    return !peers_.ready.empty() || !local_.empty();
  }

  void suspend_until(const std::chrono::steady_clock::time_point& deadline) noexcept override {
    // Announce, then look again: a peer that queued a fiber before seeing
    // idle_ left it where has_ready_fibers() finds it (both sides take the
    // queue's mutex), and one that queues after it sees idle_ and notifies,
    // which ends the wait or keeps it from starting.
    idle_.store(true);
    if (!has_ready_fibers()) {
      net_poller* p = peers_.poller;
      if (p != nullptr && p->pending() && p->try_poll()) {
        wait_.in_epoll(*p, deadline);
        end_poll(*p);
      } else {
        wait_.on_cv(deadline);
      }
      clock::now();  // see stamped_round_robin
    }
    idle_.store(false);
  }

  void notify() noexcept override { wait_.notify(peers_.poller); }

 private:
  // Lets the poll go; while a socket wait is pending, an idle peer that is not
  // in the epoll is woken to take it (its suspend_until sees the wait).
  void end_poll(net_poller& p) noexcept {
    p.end_poll();
    if (!p.pending()) return;
    for (std::atomic<shared_queue*>& slot : peers_.slots) {
      shared_queue* peer = slot.load();
      if (peer != nullptr && peer != this && peer->idle_.load() && !peer->wait_.waits_in_epoll() &&
          peer->idle_.exchange(false)) {
        peer->notify();
        return;
      }
    }
  }

  fibers::context* take_local() noexcept {
    fibers::context* ctx = &local_.front();
    local_.pop_front();
    return ctx;
  }

  scheduler_peers& peers_;
  const std::size_t slot_;
  fibers::scheduler::ready_queue_type local_;
  unsigned picks_ = 0;
  std::atomic<bool> idle_{false};
  fibernet::idle_wait wait_;
};

// Runs one cpu step on a worker process and suspends the calling fiber (not its
// thread) until the answer; gives `acc` folded with the step's result. The job
// owns the promise and frees itself after setting it: the pool's dispatcher
// thread is then done with the shared state before the fiber can drop it.
std::uint64_t run_in_process(process_pool& procs, const step& s, std::uint64_t acc) {
  struct job final : process_job {
    fibers::promise<std::uint64_t> result;
    void done(std::uint64_t checksum, std::string_view error) noexcept override {
      if (error.empty()) {
        result.set_value(checksum);
      } else {
        result.set_exception(std::make_exception_ptr(std::runtime_error(std::string(error))));
      }
      delete this;
    }
  };
  auto* j = new job;
  fibers::future<std::uint64_t> answer = j->result.get_future();
  try {
    procs.submit(std::span(&s, 1), acc, *j);
  } catch (...) {
    delete j;
    throw;
  }
  return answer.get();
}

// Boost.Fiber's primitives for the driver (harness/driver.hpp). The driver's
// coroutines are routines, each run to its end in a fiber of its own: a wait
// suspends the fiber (sleep_until, yield, a future), never the routine.
struct fiber_primitives : routine_primitives {
  static constexpr bool cooperative = true;
  // Every scheduler here reads the clock when it wakes from an idle wait
  // (stamped_round_robin, shared_queue).
  static time_point resume_stamp() noexcept { return clock::last(); }

  locked_stack_pool& stacks;
  fiber_routines& live;
  lazy_thread_pool* threads = nullptr;  // --offload thread or process
  process_pool* procs = nullptr;        // --offload process

  static auto sleep_until(client&, time_point deadline) {
    return done_inline{[deadline] { boost::this_fiber::sleep_until(deadline); }};
  }
  static auto yield(client&) {
    return done_inline{[] { boost::this_fiber::yield(); }};
  }
  // Counted before the fiber exists: launch::post, so it runs only once this
  // fiber waits or another scheduler thread picks it.
  void spawn(routine<void> r) {
    live.adopt();
    try {
      fibers::fiber(std::allocator_arg, stacks, [this, r = std::move(r)]() mutable {
        live.start_adopted(std::move(r));
      }).detach();
    } catch (...) {
      live.forget_adopted();
      throw;
    }
  }
  auto block_elsewhere(client&, const step& s) {
    return done_inline{[this, &s] { run_on(*threads, s); }};
  }
  auto cpu_elsewhere(client&, const step& s, std::uint64_t acc) {
    return done_inline{[this, &s, acc] { return run_in_process(*procs, s, acc); }};
  }

  // Net steps: non-blocking sockets, the waits in the schedulers' epoll
  // (fibernet::net_poller), from a pool of connections no step uses now:
  // each closed-loop client opens one before the window (net_connect(), from
  // the driver) and holds one only during a round trip, so a closed loop of C
  // clients has C, reused for the run.
  std::optional<net::endpoint> server{};
  net_poller* poller = nullptr;
  std::mutex net_mutex{};  // guards idle and connections (never held across a wait)
  std::vector<std::unique_ptr<fibernet::connection>> idle{};
  std::size_t connections = 0;

  auto net_round_trip(client&, const step& s) {
    return done_inline{[this, &s] { return net_trip(s); }};
  }
  std::uint64_t net_trip(const step& s) {
    std::unique_ptr<fibernet::connection> c;
    {
      std::lock_guard lock(net_mutex);
      if (!idle.empty()) {
        c = std::move(idle.back());
        idle.pop_back();
      }
    }
    // None idle: one was lost, or an open loop grew past what it opened ahead.
    if (!c) c = connect();
    const net::request r{static_cast<std::uint32_t>(s.rounds),
                         static_cast<std::uint64_t>(s.duration.count()), s.seed};
    const std::uint64_t digest = fibernet::round_trip(*poller, *c, r, *server);
    std::lock_guard lock(net_mutex);
    idle.push_back(std::move(c));
    return digest;
  }
  // One more idle connection (the driver, before the window).
  // One that cannot be opened is left to the round trip, without an
  // exception here: a fiber's stack is unknown to ASan (Debian's Boost.Context
  // has no sanitizer annotations), and each exception unwound on it leaves
  // stale poison that a later throw can trip over (a false positive).
  auto net_connect(client&) {
    return done_inline{[this] {
      if (!server) return;
      int err = 0;
      std::unique_ptr<fibernet::connection> c = fibernet::try_connect(*poller, *server, err);
      if (!c) return;
      net::connection_opened();
      std::lock_guard lock(net_mutex);
      ++connections;
      idle.push_back(std::move(c));
    }};
  }
  // A non-blocking connect; when it is in progress, the fiber waits for it
  // in the scheduler's epoll.
  std::unique_ptr<fibernet::connection> connect() {
    if (!server) throw std::runtime_error("a net step, but no delay server is set for this run");
    std::unique_ptr<fibernet::connection> c = fibernet::connect(*poller, *server);
    net::connection_opened();
    std::lock_guard lock(net_mutex);
    ++connections;
    return c;
  }
};

// Installs this thread's scheduler: round_robin on one thread; on several,
// shared_queue above (shared_work, fixed). Chosen by measurement against Boost's
// work_stealing (models/fiber/NOTES.md): plain shared_work and work_stealing
// each ran the whole load on one of two threads in about half the runs, their
// spinning variants kept both cores busy for an idle load, and work_stealing
// can be set up only once per process (static counter and barrier), while the
// conformance suite runs many models in one process.
void use_scheduler(int threads, scheduler_peers& peers, std::size_t slot) {
  if (threads == 1) {
    fibers::use_scheduling_algorithm<stamped_round_robin>(peers.poller);
  } else {
    fibers::use_scheduling_algorithm<shared_queue>(peers, slot);
  }
}

class fiber_model final : public model {
  void do_run(model_context& ctx) override {
    set_precise_timer_slack();
    const int threads = std::max(1, ctx.options().threads);
    ctx.note("scheduler", threads == 1 ? "round_robin" : "shared_queue");
    ctx.note("stack_kb", static_cast<double>(stack_bytes / 1024));

    std::optional<lazy_thread_pool> pool;
    if (ctx.options().offload != offload_mode::none) {
      pool.emplace(offload_thread_count(ctx.options()));
      ctx.note("offload_threads", static_cast<double>(pool->limit()));
    }
    // Worker processes for cpu steps; destroyed before the thread pool and the
    // stacks (every job has ended by then: the fibers awaited them all).
    std::optional<process_pool> procs = offload_processes(ctx);
    locked_stack_pool stacks(stack_bytes);
    fiber_routines live;
    fiber_primitives prims{{}, stacks, live, pool ? &*pool : nullptr, procs ? &*procs : nullptr};
    // Net steps: the epoll the schedulers wait in (declared after prims and
    // before the schedulers that use it).
    std::optional<net_poller> poller;
    prims.server = net::session_server();
    if (prims.server) prims.poller = &poller.emplace();
    driver<fiber_primitives> d(ctx, prims);

    // The runner's thread is scheduler thread 0 and makes the first fibers;
    // the helper threads join in once `go` opens.
    scheduler_peers peers(threads);
    peers.poller = prims.poller;
    // The scheduler is thread-local and outlives this run on the runner's
    // thread: hand it back the default algorithm before peers and the poller
    // go, however this function ends (the next run installs its own anyway).
    struct default_scheduler_after {
      ~default_scheduler_after() { fibers::use_scheduling_algorithm<fibers::algo::round_robin>(); }
    };
    std::optional<default_scheduler_after> restore;
    helpers_release release;
    std::latch go(1);
    std::vector<std::thread> helpers;
    auto release_helpers = [&] {
      {
        std::lock_guard waking(release.waking);
        {
          std::unique_lock lock(release.mutex);
          release.done = true;
        }
        release.changed.notify_all();
      }
      for (std::thread& h : helpers) h.join();
    };
    try {
      for (int i = 1; i < threads; ++i) {
        helpers.emplace_back([&, i] {
          set_precise_timer_slack();
          use_scheduler(threads, peers, static_cast<std::size_t>(i));
          go.wait();
          // This thread's main fiber waits here; meanwhile its scheduler runs
          // fibers from the shared queue. The thread (and with it its
          // thread-local scheduler) ends only once every fiber has finished.
          {
            std::unique_lock lock(release.mutex);
            release.changed.wait(lock, [&] { return release.done; });
          }
          std::lock_guard waking(release.waking);
        });
      }
      use_scheduler(threads, peers, 0);
      restore.emplace();
    } catch (...) {
      go.count_down();
      release_helpers();
      throw;
    }

    std::exception_ptr spawn_failed;
    try {
      prims.spawn(d.probe());
      d.start_load();
    } catch (...) {
      // The fibers already made stop once the window (closed by the driver)
      // tells them: wait for them like any run, then report the failure.
      spawn_failed = std::current_exception();
    }
    go.count_down();
    live.wait();
    release_helpers();
    restore.reset();
    if (prims.connections > 0) ctx.note("net_connections", static_cast<double>(prims.connections));
    if (spawn_failed) std::rethrow_exception(spawn_failed);
    live.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_fiber_model() { return std::make_unique<fiber_model>(); }

}  // namespace ccbench::models
