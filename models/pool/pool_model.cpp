#include "models/pool/pool_model.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/version.h>

#include <coroutine>
#include <semaphore>
#include <string>
#include <thread>

#include "harness/driver.hpp"
#include "harness/net_session.hpp"
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

// The pool's primitives for the driver (harness/driver.hpp). Not cooperative:
// a task runs start to finish on a worker, which sleeps through its io steps.
// A client's yield between tasks queues its next task in the arena's FIFO,
// like any request handed to a pool; the generator and the probe run on
// threads of their own and only sleep there.
struct pool_primitives : routine_primitives {
  static constexpr bool cooperative = false;

  tbb::task_arena& arena;
  routine_set& live;

  static auto sleep_until(client&, time_point deadline) {
    return done_inline{[deadline] { std::this_thread::sleep_until(deadline); }};
  }
  auto yield(client&) noexcept {
    struct awaiter {
      tbb::task_arena* arena;
      bool await_ready() const noexcept { return false; }
      // Nothing touches the frame after enqueue(): a worker may resume it at once.
      [[gnu::noinline]] void await_suspend(std::coroutine_handle<> h) const {
        arena->enqueue([h] {
          precise_sleeps_on_this_thread();
          h.resume();
        });
      }
      void await_resume() const noexcept {}
    };
    return awaiter{&arena};
  }
  void spawn(routine<void> r) { live.start_here(std::move(r)); }
  // Net steps: a blocking round trip on a worker, on a connection of the
  // session's pool (net_round_trip_here()); one per worker, opened by
  // do_run() before the load (open_worker_connections), not one per client.
  static std::suspend_never net_connect(client&) noexcept { return {}; }
  // Scheduling lag: at each deadline a job queued on the pool records how
  // late it starts on a worker, behind whatever the pool is busy with.
  auto wake_probe(client&, stall_probe& p) {
    return done_inline{[this, &p] {
      std::this_thread::sleep_until(p.deadline());
      std::binary_semaphore ran{0};
      arena.enqueue([&] {
        p.woke();
        ran.release();
      });
      ran.acquire();
    }};
  }
};

// A connection per worker, before the window: at most `threads` round trips
// are in flight at once. One that cannot be opened is left to the round trip
// to meet (it fails its task, naming the address).
void open_worker_connections(int threads) noexcept {
  for (int i = 0; i < threads; ++i) {
    try {
      net::open_idle_connection();
    } catch (...) {
      return;
    }
  }
}

class pool_model final : public model {
  void do_run(model_context& ctx) override {
    const int threads = std::max(1, ctx.options().threads);
    // TBB caps its workers at the core count unless told otherwise; the +1 is the
    // slot TBB keeps for an external thread, which this arena never uses.
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(threads) + 1);
    tbb::task_arena arena(threads, /*reserved_for_masters=*/0);
    arena.initialize();
    ctx.note("tbb", TBB_VERSION_STRING);
    routine_set live;
    pool_primitives prims{{}, arena, live};
    driver<pool_primitives> d(ctx, prims);
    if (net::session_server()) open_worker_connections(threads);  // net steps
    // The runner's thread starts the clients (each queues its first task), or
    // is the open loop's dispatcher: it hands each arrival to the pool at its
    // intended time, as a server's acceptor would.
    std::thread probe = start_dispatching(d, live);
    live.wait();
    probe.join();
    live.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_pool_model() { return std::make_unique<pool_model>(); }

}  // namespace ccbench::models
