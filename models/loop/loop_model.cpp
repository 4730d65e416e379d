#include "models/loop/loop_model.hpp"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/process_offload.hpp"
#include "models/loop/task_group.hpp"

namespace ccbench::models {
namespace {

using ccbench::loop::event_loop;
using ccbench::loop::process_offload;
using ccbench::loop::sleep_for;
using ccbench::loop::sleep_until;
using ccbench::loop::task_group;
using ccbench::loop::to_thread;
using ccbench::loop::with_task_group;

// Where steps that would hold the loop go: block steps to to_thread() under any
// offload, cpu steps to worker processes (`procs`, non-null) under
// --offload process.
struct offload_plan {
  bool block_to_thread = false;
  process_offload* procs = nullptr;
};

// Whether `s` suspends the task as soon as it starts (it runs nothing on the loop).
bool suspends(const step& s, offload_plan offload) noexcept {
  switch (s.kind) {
    case step_kind::io:
      return true;
    case step_kind::cpu:
      return offload.procs != nullptr;
    case step_kind::block:
      return offload.block_to_thread;
  }
  return false;
}

// Draws the next step of task `id` at or after `index` into `s` (skipping
// `@P%` steps it does not take) and moves `index` past it; false at the end.
// task_steps' iterator does the same, but kept in the client's frame it made
// the closed loop ~10% slower per task (2026-11-27, -w io:10ms -c 10000).
bool next_step(const step_source& source, std::uint64_t id, std::size_t& index, step& s) noexcept {
  while (index < source.size()) {
    if (source.draw(id, index++, s)) return true;
  }
  return false;
}

// A step that leaves the loop (a cpu step to a worker process, a block step
// to to_thread) waits in a coroutine of its own, so that its awaiter and the
// handling of its failure take a frame only while such a step runs: the
// client's frame stays small (ten thousand of them do not fit in cache, and
// waking one touches every line of it). `s` lives in the client's frame. A
// failed job fails the task; false then.
loop::task<bool> run_elsewhere(run_context& ctx, const ccbench::task& t,
                               const offload_plan& offload, const step& s, std::uint64_t& sum) {
  try {
    if (s.kind == step_kind::cpu) {
      sum = co_await offload.procs->run(std::span(&s, 1), sum);
    } else {
      co_await to_thread([d = s.duration] { block_for(d); });
    }
    co_return true;
  } catch (const std::exception& e) {
    ctx.fail(t, e.what());
  }
  co_return false;
}

// Runs tasks' steps on the loop and reports each one. A client of the closed
// loop (`t` empty) takes task after task from next_task() until the window
// closes, in this one coroutine: a frame per client, not per task. The open
// loop runs each arrival `t` in a coroutine of its own.
//
// Every stretch a task runs between two suspensions is a segment (slow
// resumes, busy ratio, stall log). A closed-loop task yields to the loop
// before it starts, as a server does when it reads the next request, so that
// a task with no wait cannot keep the other clients (and the probe) from ever
// running; unless its first step suspends it at once anyway.
//
// Stamps are shared where two are taken at the same instant (each clock read
// is a good part of what a task costs here), and the last segment closes at
// the completion stamp, at which the next task is issued (one harness call,
// complete_and_next). A closed-loop task whose first step is a wait opens no
// segment before it: it is issued at its predecessor's completion stamp and
// waits from there, and the loop runs nothing in between but the harness's
// issue and draw. After a wait, the
// segment opens at the thread's last stamp (clock::last()), not a fresh read:
// the loop read the clock just before it fired the timer, and since then it
// ran only other tasks' stretches, which stamp as they end, and its own
// dispatch, which the segment then counts. So a segment may start a little
// early, never late: it can show a stall that is the loop's, never hide one.
loop::task<void> run_tasks(run_context& ctx, const offload_plan& offload,
                           std::optional<ccbench::task> t) {
  const bool closed = !t;
  if (closed) t = ctx.next_task();
  step s;
  segment seg;  // closed between tasks
  while (t) {
    std::size_t index = 0;
    bool more = next_step(ctx.source(), t->id, index, s);
    // A closed-loop task whose first step waits opens no segment here.
    if (!closed) {
      ctx.resume(seg, *t, clock::now());
    } else if (!more || !suspends(s, offload)) {
      co_await loop::yield();
      ctx.resume(seg, *t, clock::now());
    }
    std::uint64_t sum = 0;
    bool ok = true;
    for (; ok && more; more = next_step(ctx.source(), t->id, index, s)) {
      switch (s.kind) {
        case step_kind::io: {
          // A task that has not run yet (no segment open) waits from its
          // issue stamp. Not inside the co_await expression: there g++ 12
          // evaluates both arms of a ?:, and the close would read the clock
          // for nothing.
          const time_point from = seg.open() ? seg.close() : t->intended_start;
          co_await sleep_for(s.duration, from);
          ctx.resume(seg, *t, clock::last());
          break;
        }
        case step_kind::cpu:
        case step_kind::block:
          if (suspends(s, offload)) {
            seg.close();
            ok = co_await run_elsewhere(ctx, *t, offload, s, sum);
            ctx.resume(seg, *t, clock::now());
          } else if (s.kind == step_kind::cpu) {
            seg.step(s.index, s.kind);
            sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
          } else {
            seg.step(s.index, s.kind);
            block_for(s.duration);  // holds the loop thread: the point of the exercise
          }
          break;
      }
    }
    if (!ok) {
      seg.close();  // failed: reported by the step that failed
      if (!closed) break;
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

// Open loop: a timer-driven generator on the loop itself starts each task at its
// intended time, so a stalled loop also delays the arrivals behind it.
loop::task<void> generator(run_context& ctx, task_group& tg, const offload_plan& offload) {
  while (std::optional<ccbench::task> t = ctx.next_arrival()) {
    co_await sleep_until(t->intended_start);
    ctx.launched(*t);
    tg.create_task(run_tasks(ctx, offload, *t));
  }
}

loop::task<void> probe(run_context& ctx) {
  stall_probe& p = ctx.probe();
  while (!ctx.stopping()) {
    co_await sleep_until(p.deadline());
    p.woke();
  }
}

// asyncio.TaskGroup: the run ends when the probe and every task have returned.
// `offload` lives in do_run, beyond the run: tasks refer to it.
loop::task<void> drive(run_context& ctx, const offload_plan& offload) {
  co_await with_task_group([&ctx, &offload](task_group& tg) -> loop::task<void> {
    tg.create_task(probe(ctx));
    if (ctx.open_loop()) {
      tg.create_task(generator(ctx, tg, offload));
    } else {
      for (std::uint64_t i = 0; i < ctx.concurrency(); ++i) {
        tg.create_task(run_tasks(ctx, offload, std::nullopt));
      }
    }
    co_return;
  });
}

class loop_model final : public model {
  void do_run(run_context& ctx) override {
    event_loop::options opts;
    opts.offload_threads = ctx.options().offload_threads;
    event_loop loop(opts);
    offload_plan offload;
    offload.block_to_thread = ctx.options().offload != offload_mode::none;
    if (offload.block_to_thread) {
      ctx.note("offload_threads", static_cast<double>(loop.offload_threads()));
    }
    // Declared after the loop: destroyed before it, once every client is done.
    std::optional<process_pool> procs;
    std::optional<process_offload> to_procs;
    if (ctx.options().offload == offload_mode::process) {
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const int n = ctx.options().offload_threads > 0 ? ctx.options().offload_threads : cores;
      procs.emplace(n);
      to_procs.emplace(*procs);
      offload.procs = &*to_procs;
      ctx.note("offload_processes", static_cast<double>(n));
    }
    loop.run(drive(ctx, offload));
  }
};

}  // namespace

std::unique_ptr<model> make_loop_model() { return std::make_unique<loop_model>(); }

}  // namespace ccbench::models
