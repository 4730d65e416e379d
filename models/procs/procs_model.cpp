#include "models/procs/procs_model.hpp"

#include <chrono>
#include <coroutine>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/driver.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"

namespace ccbench::models {
namespace {

using namespace std::chrono_literals;

// The worker processes' primitives for the driver (harness/driver.hpp). Every
// task runs start to finish in a worker process (run_task): the driver only
// issues it and reports it, from the pool's dispatcher thread, which resumes
// a client when its worker answers. The generator and the probe run on
// threads of their own and only sleep there.
struct procs_primitives {
  template <class T>
  using task = routine<T>;

  // A task in the pool; resumes its client on the dispatcher thread.
  struct job final : process_job {
    model_context* ctx = nullptr;
    const ccbench::task* current = nullptr;
    std::coroutine_handle<> waiter;
    std::vector<step> steps;  // reused: no allocation per task once warm
    std::uint64_t checksum = 0;
    std::string error;

    void started() noexcept override { ctx->dequeued(*current); }
    void done(std::uint64_t sum, std::string_view what) noexcept override {
      checksum = sum;
      error.assign(what);
      const std::coroutine_handle<> h = waiter;
      h.resume();  // last: the client may end, and its frame (this job) with it
    }
  };
  struct client {
    explicit client(procs_primitives&) noexcept {}
    job in_pool;
  };

  // Scheduling lag: woke() is called when a worker's answer to the empty probe
  // job reaches the dispatcher, so the lag covers the wait in the FIFO behind
  // queued tasks plus one round trip to a worker process and back.
  struct probe_job final : process_job {
    stall_probe* probe = nullptr;
    std::binary_semaphore answered{0};
    void done(std::uint64_t, std::string_view error) noexcept override {
      if (error.empty()) probe->woke();
      answered.release();
    }
  };

  static constexpr bool cooperative = false;

  procs_primitives(model_context& c, routine_set& l) noexcept : ctx(c), live(l) {}

  model_context& ctx;
  routine_set& live;
  process_pool* pool = nullptr;
  probe_job probe;  // here, not in the probe's frame: it must outlive the pool

  static auto sleep_until(client&, time_point deadline) {
    return done_inline{[deadline] { std::this_thread::sleep_until(deadline); }};
  }
  static std::suspend_never yield(client&) noexcept { return {}; }  // run_task queues
  void spawn(routine<void> r) { live.start_here(std::move(r)); }

  auto run_task(client& c, const ccbench::task& t, task_steps steps) {
    struct awaiter {
      procs_primitives& m;
      job& j;
      bool await_ready() const noexcept { return false; }
      // Nothing touches the frame after submit(): the dispatcher may resume it at once.
      [[gnu::noinline]] void await_suspend(std::coroutine_handle<> h) const {
        j.waiter = h;
        m.pool->submit(j.steps, 0, j);
      }
      std::uint64_t await_resume() const {
        if (!j.error.empty()) throw std::runtime_error(j.error);
        return j.checksum;
      }
    };
    job& j = c.in_pool;
    j.ctx = &ctx;
    j.current = &t;
    j.steps.clear();
    for (const step& s : steps) j.steps.push_back(s);
    return awaiter{*this, j};
  }
  // A broken pool fails every job: retiring beats failing every task the
  // window has left (its error is already recorded).
  bool keep_going() const noexcept { return !pool->broken(); }

  auto wake_probe(client&, stall_probe& p) {
    return done_inline{[this, &p] {
      std::this_thread::sleep_until(p.deadline());
      probe.probe = &p;
      pool->submit({}, 0, probe);
      while (!probe.answered.try_acquire_for(50ms)) {
        if (ctx.aborted()) return;  // the pool's destructor answers it
      }
    }};
  }
};

class procs_model final : public model {
  void do_run(model_context& ctx) override {
    const int workers = std::max(1, ctx.options().threads);
    // The probe sleeps on a thread started from this one.
    set_precise_timer_slack();
    // Declared before the pool, so they outlive it: its destructor may still
    // call done() on their jobs (jobs cut short by an abort), which ends the
    // clients waiting for them.
    routine_set live;
    procs_primitives prims{ctx, live};
    {
      // Net steps: each worker's connection, opened before the window.
      process_pool pool(workers, net::session_server().has_value());
      prims.pool = &pool;
      ctx.note("workers", static_cast<double>(workers));
      driver<procs_primitives> d(ctx, prims);
      std::thread probe = start_dispatching(d, live);
      // Checks for an abort now and then: then the pool's destructor cuts
      // the jobs still running short (a block:1h step) instead of waiting.
      while (!live.wait_for(100ms) && !ctx.aborted()) {
      }
      probe.join();
      ctx.note("workers_rss_peak_kb", static_cast<double>(pool.peak_rss_kb()));
      const process_pool_stats stats = pool.stats();
      if (stats.jobs_sent > 0) {
        // Submit -> handed to a worker, probes included: the FIFO's share of latency.
        ctx.note("queue_wait_mean_us",
                 to_us(stats.queue_wait_total) / static_cast<double>(stats.jobs_sent));
      }
      ctx.note("workers_lost", static_cast<double>(stats.workers_died));
    }
    live.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_procs_model() { return std::make_unique<procs_model>(); }

}  // namespace ccbench::models
