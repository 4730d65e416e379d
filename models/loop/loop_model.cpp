#include "models/loop/loop_model.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/driver.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/loop_primitives.hpp"
#include "models/loop/process_offload.hpp"

namespace ccbench::models {
namespace {

using loop_primitives = loop::driver_primitives;
using loop::drive;

class loop_model final : public model {
  void do_run(model_context& ctx) override {
    loop::event_loop::options opts;
    opts.offload_threads = ctx.options().offload_threads;
    loop::event_loop loop(opts);
    if (ctx.options().offload != offload_mode::none) {
      ctx.note("offload_threads", static_cast<double>(loop.offload_threads()));
    }
    loop_primitives prims;
    prims.server = net::session_server();
    // Declared after the loop: destroyed before it, once every client is done.
    std::optional<process_pool> procs = offload_processes(ctx);
    std::optional<loop::process_offload> to_procs;
    if (procs) prims.procs = &to_procs.emplace(*procs);
    driver<loop_primitives> d(ctx, prims);
    loop.run(drive(d, prims));
    if (prims.connections > 0) ctx.note("net_connections", static_cast<double>(prims.connections));
  }
};

}  // namespace

std::unique_ptr<model> make_loop_model() { return std::make_unique<loop_model>(); }

}  // namespace ccbench::models
