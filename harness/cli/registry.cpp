#include "harness/cli/registry.hpp"

#include <array>

#include "models/asio/asio_model.hpp"
#include "models/fiber/fiber_model.hpp"
#include "models/loop/loop_model.hpp"
#include "models/pool/pool_model.hpp"
#include "models/procs/procs_model.hpp"

namespace ccbench {
namespace {

const std::array<model_info, 5> all_models{{
    {"loop",
     "ccbench's own single-threaded C++20 coroutine event loop (epoll + timers), an asyncio "
     "analogue; ignores --threads",
     false, true, true, &models::make_loop_model},
    {"asio",
     "Boost.Asio C++20 coroutines (awaitable, co_spawn, steady_timer) on one io_context run by "
     "--threads threads",
     true, true, true, &models::make_asio_model},
    {"fiber",
     "Boost.Fiber: every client a fiber; round_robin on one thread, shared_queue (one ready "
     "queue shared by --threads threads, with wake-ups and turns for timers) on several",
     true, true, true, &models::make_fiber_model},
    {"pool", "a oneTBB thread pool of --threads workers; every step runs synchronously on a worker",
     true, false, false, &models::make_pool_model},
    {"procs",
     "--threads pre-forked worker processes fed over sockets; every step runs synchronously in "
     "a worker",
     true, false, false, &models::make_procs_model},
}};

}  // namespace

std::span<const model_info> registered_models() { return all_models; }

const model_info* find_model(std::string_view name) {
  for (const model_info& m : all_models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace ccbench
