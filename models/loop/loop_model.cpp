#include "models/loop/loop_model.hpp"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <thread>

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

// Runs one task's steps on the loop and reports it. Every stretch it runs
// between two suspensions is a segment (slow resumes, busy ratio, stall log).
loop::task<void> execute(run_context& ctx, ccbench::task t, offload_plan offload) {
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
          if (offload.procs != nullptr) {
            seg.close();
            sum = co_await offload.procs->run(std::span(&s, 1), sum);
            seg = ctx.resume(t);
          } else {
            seg.step(s.index, s.kind);
            sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
          }
          break;
        case step_kind::block:
          if (offload.block_to_thread) {
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
loop::task<void> client(run_context& ctx, offload_plan offload) {
  while (const std::optional<ccbench::task> t = ctx.next_task()) {
    co_await loop::yield();
    co_await execute(ctx, *t, offload);
  }
}

// Open loop: a timer-driven generator on the loop itself starts each task at its
// intended time, so a stalled loop also delays the arrivals behind it.
loop::task<void> generator(run_context& ctx, task_group& tg, offload_plan offload) {
  while (std::optional<ccbench::task> t = ctx.next_arrival()) {
    co_await sleep_until(t->intended_start);
    ctx.launched(*t);
    tg.create_task(execute(ctx, *t, offload));
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
loop::task<void> drive(run_context& ctx, offload_plan offload) {
  co_await with_task_group([&ctx, offload](task_group& tg) -> loop::task<void> {
    tg.create_task(probe(ctx));
    if (ctx.open_loop()) {
      tg.create_task(generator(ctx, tg, offload));
    } else {
      for (std::uint64_t i = 0; i < ctx.concurrency(); ++i) tg.create_task(client(ctx, offload));
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
      ctx.note("offload_threads", std::to_string(loop.offload_threads()));
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
      ctx.note("offload_processes", std::to_string(n));
    }
    loop.run(drive(ctx, offload));
  }
};

}  // namespace

std::unique_ptr<model> make_loop_model() { return std::make_unique<loop_model>(); }

}  // namespace ccbench::models
