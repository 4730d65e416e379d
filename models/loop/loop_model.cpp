#include "models/loop/loop_model.hpp"

#include <string>

#include "harness/step_work.hpp"
#include "models/loop/event_loop.hpp"

namespace ccbench::models {
namespace {

using ccbench::loop::event;
using ccbench::loop::event_loop;
using ccbench::loop::sleep_for;
using ccbench::loop::sleep_until;
using ccbench::loop::to_thread;

// Counts the coroutines still running and wakes the driver when the last ends.
struct countdown {
  std::size_t live;
  event all_done;
  void finished() noexcept {
    if (--live == 0) all_done.set();
  }
};

// Runs one task's steps on the loop and reports it. Every stretch it runs
// between two suspensions is a segment (slow resumes, busy ratio, stall log).
loop::task<void> execute(run_context& ctx, ccbench::task t) {
  const bool offload_block = ctx.options().offload != offload_mode::none;
  segment seg = ctx.resume(t);
  std::uint64_t sum = 0;
  try {
    for (const step& s : ctx.steps(t)) {
      switch (s.kind) {
        case step_kind::io:
          seg.close();
          co_await sleep_for(s.duration);
          seg = ctx.resume(t);
          break;
        case step_kind::cpu:
          seg.step(s.index, s.kind);
          sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
          break;
        case step_kind::block:
          if (offload_block) {
            seg.close();
            co_await to_thread([d = s.duration] { block_for(d); });
            seg = ctx.resume(t);
          } else {
            seg.step(s.index, s.kind);
            block_for(s.duration);  // holds the loop thread: the point of the exercise
          }
          break;
      }
    }
    ctx.complete(t, sum);
  } catch (const std::exception& e) {
    ctx.fail(t, e.what());
  }
  seg.close();
}

// Closed loop: one client keeps one task in flight. It yields to the loop
// between tasks, as a server does when it reads the next request, so a task
// with no wait cannot keep the other clients (and the probe) from ever running.
loop::task<void> client(run_context& ctx, countdown& live) {
  while (const std::optional<ccbench::task> t = ctx.next_task()) {
    co_await loop::yield();
    co_await execute(ctx, *t);
  }
  live.finished();
}

loop::task<void> arrival(run_context& ctx, ccbench::task t, countdown& live) {
  co_await execute(ctx, t);
  live.finished();
}

// Open loop: a timer-driven generator on the loop itself starts each task at its
// intended time, so a stalled loop also delays the arrivals behind it.
loop::task<void> generator(run_context& ctx, countdown& live) {
  event_loop& loop = *event_loop::current();
  while (std::optional<ccbench::task> t = ctx.next_arrival()) {
    co_await sleep_until(t->intended_start);
    ctx.launched(*t);
    ++live.live;
    loop.spawn(arrival(ctx, *t, live));
  }
  live.finished();
}

loop::task<void> probe(run_context& ctx, countdown& probes) {
  stall_probe& p = ctx.probe();
  while (!ctx.stopping()) {
    co_await sleep_until(p.deadline());
    p.woke();
  }
  probes.finished();
}

loop::task<void> drive(run_context& ctx) {
  event_loop& loop = *event_loop::current();
  countdown tasks{0, {}};
  countdown probes{1, {}};
  loop.spawn(probe(ctx, probes));
  if (ctx.open_loop()) {
    tasks.live = 1;
    loop.spawn(generator(ctx, tasks));
  } else {
    tasks.live = ctx.concurrency();
    for (std::uint64_t i = 0; i < ctx.concurrency(); ++i) loop.spawn(client(ctx, tasks));
  }
  co_await tasks.all_done.wait();
  co_await probes.all_done.wait();
}

class loop_model final : public model {
  void do_run(run_context& ctx) override {
    event_loop::options opts;
    opts.offload_threads = ctx.options().offload_threads;
    event_loop loop(opts);
    if (ctx.options().offload != offload_mode::none) {
      ctx.note("offload_threads", std::to_string(loop.offload_threads()));
    }
    loop.run(drive(ctx));
  }
};

}  // namespace

std::unique_ptr<model> make_loop_model() { return std::make_unique<loop_model>(); }

}  // namespace ccbench::models
