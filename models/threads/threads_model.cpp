#include "models/threads/threads_model.hpp"

#include <mutex>
#include <thread>
#include <vector>

#include "harness/driver.hpp"

namespace ccbench::models {
namespace {

// The primitives for the driver (harness/driver.hpp). Not cooperative: a
// thread sleeps through its io steps. Each spawned routine runs to its end on
// a thread of its own, so a wait blocks that thread and never suspends the
// routine.
struct threads_primitives : routine_primitives {
  static constexpr bool cooperative = false;

  routine_set& live;
  std::mutex mutex;  // guards threads: the generator spawns while others run
  std::vector<std::thread> threads;

  explicit threads_primitives(routine_set& l) noexcept : live(l) {}

  static auto sleep_until(client&, time_point deadline) {
    return done_inline{[deadline] { std::this_thread::sleep_until(deadline); }};
  }
  // Between two tasks a client thread lets the others run, as any server
  // thread does when it goes back to read the next request.
  static auto yield(client&) {
    return done_inline{[] { std::this_thread::yield(); }};
  }
  void spawn(routine<void> r) {
    live.adopt();  // before the thread exists, so that wait() cannot miss it
    std::lock_guard lock(mutex);
    try {
      threads.emplace_back(
          [this, r = std::move(r)]() mutable { live.start_adopted(std::move(r)); });
    } catch (...) {
      live.forget_adopted();
      throw;
    }
  }
};

class threads_model final : public model {
  void do_run(model_context& ctx) override {
    set_precise_timer_slack();  // the threads made here inherit it
    routine_set live;
    threads_primitives prims(live);
    driver<threads_primitives> d(ctx, prims);
    std::thread probe = start_dispatching(d, live);
    live.wait();
    probe.join();
    for (std::thread& t : prims.threads) t.join();
    ctx.note("threads", static_cast<double>(prims.threads.size()));
    live.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_threads_model() { return std::make_unique<threads_model>(); }

}  // namespace ccbench::models
