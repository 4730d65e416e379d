#include "models/pool/pool_model.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/version.h>

#include <condition_variable>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>

#include "harness/step_work.hpp"

namespace ccbench::models {
namespace {

// TBB starts its workers from its own threads: each gets the loop's 1 ns timer
// slack the first time it runs a task here, so io sleeps are as accurate as
// elsewhere. (A task_scheduler_observer would do it on entry, but oneTBB leaks
// 40 bytes per observer, which LeakSanitizer reports.)
void precise_sleeps_on_this_thread() noexcept {
  thread_local const bool done = (set_precise_timer_slack(), true);
  (void)done;
}

class pool_model final : public model {
  void do_run(run_context& ctx) override {
    const int threads = std::max(1, ctx.options().threads);
    // TBB caps its workers at the core count unless told otherwise; the +1 is the
    // slot TBB keeps for an external thread, which this arena never uses.
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(threads) + 1);
    tbb::task_arena arena(threads, /*reserved_for_masters=*/0);
    arena.initialize();
    ctx.note("tbb", TBB_VERSION_STRING);
    ctx_ = &ctx;
    arena_ = &arena;
    std::thread probe([this] { drive_probe(); });
    if (ctx.open_loop()) {
      // Open loop: a dispatcher thread hands each arrival to the pool at its
      // intended time, as a server's acceptor would.
      live_ = 1;
      while (std::optional<task> t = ctx.next_arrival()) {
        std::this_thread::sleep_until(t->intended_start);
        ctx.launched(*t);
        {
          std::lock_guard lock(mutex_);
          ++live_;
        }
        arena.enqueue([this, t = *t] {
          run_task(t);
          finished();
        });
      }
      finished();
    } else {
      // Closed loop: each client's next task is stamped when its previous one
      // ends (or now, for the first) and waits in the arena's FIFO like any
      // request handed to a pool.
      live_ = ctx.concurrency();
      for (std::uint64_t c = 0; c < ctx.concurrency(); ++c) submit_next();
    }
    {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return live_ == 0; });
    }
    probe.join();
  }

  void finished() {
    std::lock_guard lock(mutex_);
    if (--live_ == 0) done_.notify_all();  // under the lock: do_run may return at once
  }

  void submit_next() {
    if (const std::optional<task> t = ctx_->next_task()) {
      arena_->enqueue([this, t = *t] {
        run_task(t);
        submit_next();
      });
    } else {
      finished();
    }
  }

  void run_task(const task& t) noexcept {
    precise_sleeps_on_this_thread();
    ctx_->dequeued(t);
    std::uint64_t sum = 0;
    for (const step& s : ctx_->steps(t)) {
      switch (s.kind) {
        case step_kind::io:
          sleep_thread_for(s.duration);
          break;
        case step_kind::cpu:
          sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
          break;
        case step_kind::block:
          block_for(s.duration);
          break;
      }
    }
    ctx_->complete(t, sum);
  }

  // Scheduling lag: a probe job queued at each deadline records how late it
  // starts on a worker, behind whatever the pool is busy with.
  void drive_probe() {
    stall_probe& p = ctx_->probe();
    std::binary_semaphore ran{0};
    while (!ctx_->stopping()) {
      std::this_thread::sleep_until(p.deadline());
      arena_->enqueue([&] {
        p.woke();
        ran.release();
      });
      ran.acquire();
    }
  }

  run_context* ctx_ = nullptr;
  tbb::task_arena* arena_ = nullptr;
  std::mutex mutex_;
  std::condition_variable done_;
  std::uint64_t live_ = 0;
};

}  // namespace

std::unique_ptr<model> make_pool_model() { return std::make_unique<pool_model>(); }

}  // namespace ccbench::models
