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

namespace ccbench::models {
namespace {

using ccbench::loop::event;
using ccbench::loop::event_loop;
using ccbench::loop::process_offload;
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

// `to_procs`: where cpu steps go under --offload process; nullptr: run them here.
loop::task<void> client(run_context& ctx, countdown& clients, process_offload* to_procs) {
  const bool offload_block = ctx.options().offload != offload_mode::none;
  while (const std::optional<ccbench::task> t = ctx.next_task()) {
    std::uint64_t sum = 0;
    try {
      for (const step& s : ctx.steps(*t)) {
        switch (s.kind) {
          case step_kind::io:
            co_await sleep_for(s.duration);
            break;
          case step_kind::cpu:
            if (to_procs != nullptr) {
              sum = co_await to_procs->run(std::span(&s, 1), sum);
            } else {
              sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
            }
            break;
          case step_kind::block:
            if (offload_block) {
              co_await to_thread([d = s.duration] { block_for(d); });
            } else {
              block_for(s.duration);  // holds the loop thread: the point of the exercise
            }
            break;
        }
      }
      ctx.complete(*t, sum);
    } catch (const std::exception& e) {
      ctx.fail(*t, e.what());
    }
  }
  clients.finished();
}

loop::task<void> probe(run_context& ctx, countdown& probes) {
  stall_probe& p = ctx.probe();
  while (!ctx.stopping()) {
    co_await sleep_until(p.deadline());
    p.woke();
  }
  probes.finished();
}

loop::task<void> drive(run_context& ctx, process_offload* to_procs) {
  event_loop& loop = *event_loop::current();
  countdown clients{ctx.concurrency(), {}};
  countdown probes{1, {}};
  loop.spawn(probe(ctx, probes));
  for (std::uint64_t i = 0; i < ctx.concurrency(); ++i) loop.spawn(client(ctx, clients, to_procs));
  if (clients.live > 0) co_await clients.all_done.wait();
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
    // Declared after the loop: destroyed before it, once every client is done.
    std::optional<process_pool> procs;
    std::optional<process_offload> to_procs;
    if (ctx.options().offload == offload_mode::process) {
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const int n = ctx.options().offload_threads > 0 ? ctx.options().offload_threads : cores;
      procs.emplace(n);
      to_procs.emplace(*procs);
      ctx.note("offload_processes", std::to_string(n));
    }
    loop.run(drive(ctx, to_procs ? &*to_procs : nullptr));
  }
};

}  // namespace

std::unique_ptr<model> make_loop_model() { return std::make_unique<loop_model>(); }

}  // namespace ccbench::models
