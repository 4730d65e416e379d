#include "models/fiber/fiber_model.hpp"

#include <algorithm>
#include <atomic>
#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/algo/shared_work.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/future.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/pooled_fixedsize_stack.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/step_work.hpp"

namespace ccbench::models {
namespace {

namespace fibers = boost::fibers;

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

// The --offload thread pool: threads started lazily up to a limit, like
// Python's ThreadPoolExecutor, kept until the run ends. A fiber hands it a
// block step with a fiber promise and waits on the future, which suspends only
// that fiber: its scheduler thread goes on running the others.
class offload_pool {
 public:
  explicit offload_pool(int limit) : limit_(limit) {}
  offload_pool(const offload_pool&) = delete;
  offload_pool& operator=(const offload_pool&) = delete;
  ~offload_pool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  int limit() const noexcept { return limit_; }

  /// Called from a fiber: runs block_for(d) on a pool thread; suspends the
  /// calling fiber (not its thread) until it is done. Throws std::system_error
  /// when a needed pool thread cannot be started.
  void block(nanoseconds d) {
    fibers::promise<void> done;
    fibers::future<void> finished = done.get_future();
    {
      std::unique_lock lock(mutex_);
      queue_.push_back(job{d, std::move(done)});
      if (idle_ == 0 && static_cast<int>(threads_.size()) < limit_) {
        try {
          threads_.emplace_back([this] { work(); });
        } catch (...) {
          // Don't leave a job behind that nobody runs: its promise would be
          // broken only when the pool goes, long after this fiber gave up.
          queue_.pop_back();
          throw;
        }
      }
    }
    cv_.notify_one();
    finished.get();
  }

 private:
  struct job {
    nanoseconds duration;
    fibers::promise<void> done;
  };

  void work() {
    set_precise_timer_slack();
    std::unique_lock lock(mutex_);
    while (true) {
      ++idle_;
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping, nothing left
      job j = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      block_for(j.duration);
      // set_value from a plain thread is supported: Boost.Fiber gives this
      // thread a scheduler of its own and wakes the fiber on its scheduler's
      // remote-ready queue.
      j.done.set_value();
      lock.lock();
    }
  }

  const int limit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

// What the fibers and the scheduler threads of one run share. Fiber mutex and
// condition variable: waiting suspends only the waiting fiber, and they work
// across the scheduler threads.
struct run_state {
  fibers::mutex mutex;
  fibers::condition_variable changed;
  std::size_t live = 0;  // client and probe fibers not yet finished
  bool done = false;     // the helper threads may leave their scheduler

  void fiber_finished() {
    std::unique_lock lock(mutex);
    if (--live == 0) changed.notify_all();
  }
};

class waking_shared_work;

// The scheduler threads of one run, so that one can wake another.
struct scheduler_peers {
  explicit scheduler_peers(int threads) : slots(static_cast<std::size_t>(threads)) {}
  std::vector<std::atomic<waking_shared_work*>> slots;
};

// Boost's shared_work keeps one ready queue for all threads, but a thread that
// finds it empty sleeps until its own next timer, or until another thread makes
// ready a fiber that waits in this thread's scheduler: a fiber put on the
// shared queue elsewhere does not wake it. A thread left without timers of its
// own then sleeps for the rest of the run; on 2 threads that happened in about
// half the runs (NOTES.md). This adds the missing wake-up: a thread about to
// sleep says so, and a thread that queues a worker fiber wakes one such idle
// peer. Cost on the hot path: one atomic load per peer per ready fiber.
class waking_shared_work final : public fibers::algo::shared_work {
 public:
  waking_shared_work(scheduler_peers& peers, std::size_t slot)
      : shared_work(/*suspend=*/true), peers_(peers), slot_(slot) {
    peers_.slots[slot_].store(this);
  }
  ~waking_shared_work() override { peers_.slots[slot_].store(nullptr); }

  void awakened(fibers::context* ctx) noexcept override {
    const bool shared = !ctx->is_context(fibers::type::pinned_context);
    shared_work::awakened(ctx);
    if (!shared) return;  // this thread's main or dispatcher fiber: only it may run them
    for (std::atomic<waking_shared_work*>& slot : peers_.slots) {
      waking_shared_work* peer = slot.load();
      // exchange: one wake-up per sleeper, so the next fiber wakes another.
      if (peer != nullptr && peer != this && peer->idle_.load() && peer->idle_.exchange(false)) {
        peer->notify();
        return;
      }
    }
  }

  void suspend_until(const std::chrono::steady_clock::time_point& deadline) noexcept override {
    // Announce, then look again: a peer that queued a fiber before seeing
    // idle_ left it where has_ready_fibers() finds it (both sides go through
    // shared_work's queue mutex), and one that queues after it sees idle_ and
    // notifies, which ends the wait or keeps it from starting.
    idle_.store(true);
    if (!has_ready_fibers()) shared_work::suspend_until(deadline);
    idle_.store(false);
  }

 private:
  scheduler_peers& peers_;
  const std::size_t slot_;
  std::atomic<bool> idle_{false};
};

void client(run_context& ctx, offload_pool* pool) {
  while (const std::optional<task> t = ctx.next_task()) {
    std::uint64_t sum = 0;
    try {
      for (const step& s : ctx.steps(*t)) {
        switch (s.kind) {
          case step_kind::io:
            boost::this_fiber::sleep_for(s.duration);
            break;
          case step_kind::cpu:
            sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
            break;
          case step_kind::block:
            if (pool != nullptr) {
              pool->block(s.duration);
            } else {
              block_for(s.duration);  // holds the scheduler thread: the point of the exercise
            }
            break;
        }
      }
      ctx.complete(*t, sum);
    } catch (const std::exception& e) {
      ctx.fail(*t, e.what());
    }
  }
}

void probe(run_context& ctx) {
  stall_probe& p = ctx.probe();
  while (!ctx.stopping()) {
    boost::this_fiber::sleep_until(p.deadline());
    p.woke();
  }
}

// Starts fn as a detached fiber, counted in state.live until it returns.
template <class Fn>
void spawn(run_state& state, locked_stack_pool& stacks, Fn fn) {
  fibers::fiber f(std::allocator_arg, stacks, [&state, fn] {
    fn();
    state.fiber_finished();
  });
  // Counted only once made. No lock: launch::post, so nothing runs before this
  // thread's main fiber waits or the helper threads pass their latch.
  ++state.live;
  f.detach();
}

// Installs this thread's scheduler: round_robin on one thread; on several,
// shared_work with the wake-up above. Chosen by measurement against Boost's
// work_stealing (models/fiber/NOTES.md): plain shared_work and work_stealing
// each ran the whole load on one of two threads in about half the runs, their
// spinning variants kept both cores busy for an idle load, and work_stealing
// can be set up only once per process (static counter and barrier), while the
// conformance suite runs many models in one process.
void use_scheduler(int threads, scheduler_peers& peers, std::size_t slot) {
  if (threads == 1) {
    fibers::use_scheduling_algorithm<fibers::algo::round_robin>();
  } else {
    fibers::use_scheduling_algorithm<waking_shared_work>(peers, slot);
  }
}

class fiber_model final : public model {
  void do_run(run_context& ctx) override {
    set_precise_timer_slack();
    const int threads = std::max(1, ctx.options().threads);
    ctx.note("scheduler", threads == 1 ? "round_robin" : "shared_work+wake");
    ctx.note("stack_kb", std::to_string(stack_bytes / 1024));

    std::optional<offload_pool> pool;
    if (ctx.options().offload != offload_mode::none) {
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const int requested = ctx.options().offload_threads;
      pool.emplace(requested > 0 ? requested : std::min(32, cores + 4));
      ctx.note("offload_threads", std::to_string(pool->limit()));
    }
    offload_pool* const offload = pool ? &*pool : nullptr;
    locked_stack_pool stacks(stack_bytes);
    run_state state;

    // The runner's thread is scheduler thread 0 and makes every fiber; the
    // helper threads join in once `go` opens, so that no fiber runs (and
    // finishes) while `live` is still being counted without a lock.
    scheduler_peers peers(threads);
    std::latch go(1);
    std::vector<std::thread> helpers;
    auto release_helpers = [&] {
      {
        std::unique_lock lock(state.mutex);
        state.done = true;
      }
      state.changed.notify_all();
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
          std::unique_lock lock(state.mutex);
          state.changed.wait(lock, [&] { return state.done; });
        });
      }
      use_scheduler(threads, peers, 0);
    } catch (...) {
      go.count_down();
      release_helpers();
      throw;
    }

    std::exception_ptr spawn_failed;
    try {
      spawn(state, stacks, [&] { probe(ctx); });
      for (std::uint64_t c = 0; c < ctx.concurrency(); ++c) {
        spawn(state, stacks, [&] { client(ctx, offload); });
      }
    } catch (...) {
      // The fibers already made run until the window closes: wait for them
      // like any run, then report the failure.
      spawn_failed = std::current_exception();
    }
    go.count_down();
    {
      std::unique_lock lock(state.mutex);
      state.changed.wait(lock, [&] { return state.live == 0; });
    }
    release_helpers();
    // The scheduler is thread-local and outlives this run on the runner's
    // thread: hand it back the default algorithm (shared_work's ready queue is
    // process-wide, and the next run installs its own anyway).
    fibers::use_scheduling_algorithm<fibers::algo::round_robin>();
    if (spawn_failed) std::rethrow_exception(spawn_failed);
  }
};

}  // namespace

std::unique_ptr<model> make_fiber_model() { return std::make_unique<fiber_model>(); }

}  // namespace ccbench::models
