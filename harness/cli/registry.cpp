#include "harness/cli/registry.hpp"

#include "models/asio/asio_model.hpp"
#include "models/asyncio/asyncio_model.hpp"
#include "models/fiber/fiber_model.hpp"
#include "models/loop/delay_server.hpp"
#include "models/loop/loop_model.hpp"
#include "models/loop/tour.hpp"
#include "models/pool/pool_model.hpp"
#include "models/procs/procs_model.hpp"
#include "models/shards/shards_model.hpp"
#include "models/threads/threads_model.hpp"

namespace ccbench {
namespace {

const model_info all_models[] = {
    {"loop",
     "ccbench's own single-threaded C++20 coroutine event loop (epoll + timers), an asyncio "
     "analogue; ignores --threads",
     {.uses_threads = false,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = true,
      .sweep_threads = thread_sizing::one,
      .order = 0,
      .color = "#1f5fa8",
      .color_thread = "#2aa7c9",
      .color_process = "#6a51a3",
      .marker = "o"},
     &models::make_loop_model,
     &loop::run_tour_lessons},
    {"asio",
     "Boost.Asio C++20 coroutines (awaitable, co_spawn, steady_timer) on one io_context run by "
     "--threads threads",
     {.uses_threads = true,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = true,
      .sweep_threads = thread_sizing::cores,
      .order = 1,
      .color = "#e6750a",
      .color_thread = "#b8860b",
      .color_process = "#8c4a00",
      .marker = "s"},
     &models::make_asio_model},
    {"fiber",
     "Boost.Fiber: every client a fiber; round_robin on one thread, shared_queue (one ready "
     "queue shared by --threads threads, with wake-ups and turns for timers) on several",
     {.uses_threads = true,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = true,
      .sweep_threads = thread_sizing::cores,
      .order = 2,
      .color = "#2e8b3a",
      .color_thread = "#7cb342",
      .color_process = "#1b5e20",
      .marker = "^"},
     &models::make_fiber_model},
    {"pool",
     "a oneTBB thread pool of --threads workers; every step runs synchronously on a worker",
     {.uses_threads = true,
      .cooperative = false,
      .offload_thread = false,
      .offload_process = false,
      .sweep = true,
      .sweep_threads = thread_sizing::per_task,
      .order = 3,
      .color = "#c62828",
      .color_thread = "",
      .color_process = "",
      .marker = "D"},
     &models::make_pool_model},
    {"procs",
     "--threads pre-forked worker processes fed over sockets; every step runs synchronously in "
     "a worker",
     {.uses_threads = true,
      .cooperative = false,
      .offload_thread = false,
      .offload_process = false,
      .sweep = true,
      .sweep_threads = thread_sizing::cores,
      .order = 4,
      .color = "#8e24aa",
      .color_thread = "",
      .color_process = "",
      .marker = "v"},
     &models::make_procs_model},
    {"threads",
     "a thread per client (and per open-loop arrival): thread-per-request; every step runs "
     "synchronously on its thread; ignores --threads",
     {.uses_threads = false,
      .cooperative = false,
      .offload_thread = false,
      .offload_process = false,
      .sweep = false,
      .sweep_threads = thread_sizing::one,
      .order = 5,
      .color = "",
      .color_thread = "",
      .color_process = "",
      .marker = ""},
     &models::make_threads_model},
    {"shards",
     "--threads copies of loop, one per core, each pinned to its own CPU and sharing nothing "
     "(Seastar's shard per core, Node's cluster): each owns its share of the clients or "
     "arrivals, its timers, probe and offload pools",
     {.uses_threads = true,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = true,
      .sweep_threads = thread_sizing::cores,
      .order = 6,
      .shares_nothing = true,
      .color = "#00838f",
      .color_thread = "#4db6ac",
      .color_process = "#004d40",
      .marker = "h"},
     &models::make_shards_model},
    {"asio-shards",
     "Boost.Asio at its multi-core best: --threads io_contexts, one per thread (Asio's "
     "io_context-pool layout), each pinned to its own CPU and sharing nothing, where asio "
     "shares one io_context between its threads",
     {.uses_threads = true,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = false,
      .sweep_threads = thread_sizing::cores,
      .order = 7,
      .shares_nothing = true,
      .color = "#ad1457",
      .color_thread = "#f06292",
      .color_process = "#6a0f3a",
      .marker = "p"},
     &models::make_asio_shards_model},
    {"asyncio",
     "CPython's asyncio event loop in a Python process (--python) that the harness drives: "
     "one thread; --offload thread sends block and cpu steps to asyncio.to_thread, process "
     "sends cpu steps to a ProcessPoolExecutor",
     {.uses_threads = false,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = false,
      .sweep_threads = thread_sizing::one,
      .order = 8,
      .python = true,
      .color = "#3776ab",
      .color_thread = "#6fa8dc",
      .color_process = "#1c3d5a",
      .marker = "P"},
     &models::make_asyncio_model,
     nullptr,
     &models::run_python_tour_lessons},
    {"uvloop",
     "uvloop (libuv) as asyncio's event loop in a Python process (--python): one thread; "
     "offload as asyncio's",
     {.uses_threads = false,
      .cooperative = true,
      .offload_thread = true,
      .offload_process = true,
      .sweep = false,
      .sweep_threads = thread_sizing::one,
      .order = 9,
      .python = true,
      .color = "#c9a227",
      .color_thread = "#e3c766",
      .color_process = "#7a6010",
      .marker = "X"},
     &models::make_uvloop_model},
};

}  // namespace

std::span<const model_info> registered_models() { return all_models; }

const model_info* find_model(std::string_view name) {
  for (const model_info& m : all_models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const model_info* first_model(const std::function<bool(const model_traits&)>& fits) {
  for (const model_info& m : all_models) {
    if (fits(m.traits)) return &m;
  }
  return nullptr;
}

const model_info& default_model() { return *find_model("loop"); }

namespace {

class loop_delay_server final : public delay_server_handle {
 public:
  explicit loop_delay_server(const loop::delay_server_options& o) : server_(o) {}
  net::endpoint address() const override { return server_.address(); }
  std::int64_t max_connections() const override { return server_.max_connections(); }
  void run() override { server_.run(); }
  void stop() override { server_.stop(); }
  std::string report_line() const override { return server_.stats().line(); }

 private:
  loop::delay_server server_;
};

}  // namespace

std::unique_ptr<delay_server_handle> make_delay_server(const net::endpoint& listen, int threads,
                                                       std::int64_t max_connections) {
  loop::delay_server_options o;
  o.listen = listen;
  o.threads = threads;
  o.max_connections = max_connections;
  return std::make_unique<loop_delay_server>(o);
}

}  // namespace ccbench
