#include "models/procs/procs_model.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"

namespace ccbench::models {
namespace {

using namespace std::chrono_literals;

class procs_model final : public model {
  // A closed-loop client: at most one task of it is in the pool at a time.
  struct client final : process_job {
    procs_model* owner = nullptr;
    task current;
    std::vector<step> steps;  // reused: no allocation per task once warm
    void done(std::uint64_t checksum, std::string_view error) noexcept override {
      owner->finished(*this, checksum, error);
    }
    void started() noexcept override { owner->ctx_->dequeued(current); }
  };

  // Open loop: one arrival in the pool; owned by the model until done().
  struct arrival final : process_job {
    procs_model* owner = nullptr;
    task current;
    std::vector<step> steps;
    void done(std::uint64_t checksum, std::string_view error) noexcept override {
      owner->arrived(*this, checksum, error);
    }
    void started() noexcept override { owner->ctx_->dequeued(current); }
  };

  // Scheduling lag: woke() is called when a worker's answer to the empty probe
  // job reaches the dispatcher, so the lag covers the wait in the FIFO behind
  // queued tasks plus one round trip to a worker process and back.
  struct probe_job final : process_job {
    run_context* ctx = nullptr;
    std::binary_semaphore answered{0};
    void done(std::uint64_t, std::string_view error) noexcept override {
      if (error.empty()) ctx->probe().woke();
      answered.release();
    }
  };

  void do_run(run_context& ctx) override {
    const int workers = std::max(1, ctx.options().threads);
    ctx_ = &ctx;
    live_ = ctx.open_loop() ? 1 : ctx.concurrency();
    // Declared before the pool, so they outlive it: the pool's destructor may
    // still call done() on them (jobs cut short by an abort).
    const auto clients = std::make_unique<client[]>(ctx.open_loop() ? 0 : ctx.concurrency());
    std::vector<std::unique_ptr<arrival>> arrivals;
    probe_job probe;
    probe.ctx = &ctx;
    // The probe driver sleeps on this (the runner's) thread.
    set_precise_timer_slack();
    {
      process_pool pool(workers);
      pool_ = &pool;
      ctx.note("workers", static_cast<double>(workers));
      std::thread prober;
      if (ctx.open_loop()) {
        // The probe gets its own thread; this one is the arrival dispatcher,
        // handing each task to the pool at its intended time.
        prober = std::thread([this, &probe] { drive_probe(probe); });
        while (std::optional<task> t = ctx.next_arrival()) {
          if (pool.broken()) break;
          std::this_thread::sleep_until(t->intended_start);
          ctx.launched(*t);
          auto a = std::make_unique<arrival>();
          a->owner = this;
          a->current = *t;
          for (const step& s : ctx.steps(*t)) a->steps.push_back(s);
          {
            std::lock_guard lock(mutex_);
            ++live_;
          }
          pool.submit(a->steps, 0, *a);
          arrivals.push_back(std::move(a));
        }
        retire();
      } else {
        for (std::uint64_t c = 0; c < ctx.concurrency(); ++c) {
          clients[c].owner = this;
          start_next(clients[c]);
        }
        drive_probe(probe);
      }
      {
        std::unique_lock lock(mutex_);
        // Checks for an abort now and then: then the pool's destructor cuts
        // the jobs still running short (a block:1h step) instead of waiting.
        while (live_ > 0 && !ctx.aborted()) all_done_.wait_for(lock, 100ms);
      }
      ctx.note("workers_rss_peak_kb", static_cast<double>(pool.peak_rss_kb()));
      const process_pool_stats stats = pool.stats();
      if (stats.jobs_sent > 0) {
        // Submit -> handed to a worker, probes included: the FIFO's share of latency.
        ctx.note("queue_wait_mean_us",
                 to_us(stats.queue_wait_total) / static_cast<double>(stats.jobs_sent));
      }
      ctx.note("workers_lost", static_cast<double>(stats.workers_died));
      if (prober.joinable()) prober.join();
    }
  }

  void retire() noexcept {
    std::lock_guard lock(mutex_);
    if (--live_ == 0) all_done_.notify_all();  // under the lock: do_run may return at once
  }

  // On the pool's dispatcher thread.
  void arrived(arrival& a, std::uint64_t checksum, std::string_view error) noexcept {
    if (error.empty()) {
      ctx_->complete(a.current, checksum);
    } else {
      ctx_->fail(a.current, error);
    }
    retire();
  }

  // Closed loop: the next task is stamped now (its intended start) and joins the
  // pool's FIFO, like a request handed to a process pool.
  void start_next(client& c) noexcept {
    if (!pool_->broken()) {
      if (const std::optional<task> t = ctx_->next_task()) {
        c.current = *t;
        c.steps.clear();
        for (const step& s : ctx_->steps(*t)) c.steps.push_back(s);
        pool_->submit(c.steps, 0, c);
        return;
      }
    }
    // Window closed, aborted, or the pool is broken (its error is already
    // recorded: retiring beats failing every task the window has left).
    retire();
  }

  // On the pool's dispatcher thread.
  void finished(client& c, std::uint64_t checksum, std::string_view error) noexcept {
    if (error.empty()) {
      ctx_->complete(c.current, checksum);
    } else {
      ctx_->fail(c.current, error);
    }
    start_next(c);
  }

  void drive_probe(probe_job& probe) {
    stall_probe& p = ctx_->probe();
    while (!ctx_->stopping()) {
      std::this_thread::sleep_until(p.deadline());
      pool_->submit({}, 0, probe);
      while (!probe.answered.try_acquire_for(50ms)) {
        if (ctx_->aborted()) return;  // the pool's destructor answers it
      }
    }
  }

  run_context* ctx_ = nullptr;
  process_pool* pool_ = nullptr;
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::uint64_t live_ = 0;
};

}  // namespace

std::unique_ptr<model> make_procs_model() { return std::make_unique<procs_model>(); }

}  // namespace ccbench::models
