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

}  // namespace ccbench::models
