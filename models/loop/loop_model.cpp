#include "models/loop/loop_model.hpp"

#include <string>

#include "harness/step_work.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/task_group.hpp"

namespace ccbench::models {
namespace {

using ccbench::loop::event_loop;
using ccbench::loop::sleep_for;
using ccbench::loop::sleep_until;
using ccbench::loop::task_group;
using ccbench::loop::to_thread;
using ccbench::loop::with_task_group;

loop::task<void> client(run_context& ctx) {
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
            sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
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
}

loop::task<void> probe(run_context& ctx) {
  stall_probe& p = ctx.probe();
  while (!ctx.stopping()) {
    co_await sleep_until(p.deadline());
    p.woke();
  }
}

// asyncio.TaskGroup: the run ends when the probe and every client have returned.
loop::task<void> drive(run_context& ctx) {
  co_await with_task_group([&ctx](task_group& tg) -> loop::task<void> {
    tg.create_task(probe(ctx));
    for (std::uint64_t i = 0; i < ctx.concurrency(); ++i) tg.create_task(client(ctx));
    co_return;
  });
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
