// The `asio` model: Boost.Asio C++20 coroutines on one io_context.
#pragma once

#include <memory>

#include "harness/model.hpp"

namespace ccbench::models {

/// One io_context run by --threads threads (the runner's thread is one of them);
/// every closed-loop client is an awaitable coroutine, io steps await a
/// steady_timer, cpu and block steps run inline on an io thread unless offloaded
/// (--offload thread: block steps run on an asio::thread_pool and the client
/// resumes on the io_context).
std::unique_ptr<model> make_asio_model();

/// `asio-shards`: Asio's own layout for many cores (its io_context-pool
/// example): --threads io_contexts, each run by one thread of its own pinned to
/// its own CPU (as `shards` pins its loops), sharing nothing; each owns its
/// share of the clients or arrivals (harness/driver.hpp: load_share), its
/// probe and its offload pool. `asio` stays one io_context run by T threads.
std::unique_ptr<model> make_asio_shards_model();

}  // namespace ccbench::models
