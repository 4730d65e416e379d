// BM_asio_*: Boost.Asio's C++20 coroutines used directly (io_context, co_spawn,
// awaitable, post, steady_timer, experimental::channel), and BM_skynet_asio.
// Each benchmark runs its timing loop in one coroutine on a fresh io_context run
// by the benchmark thread alone.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <exception>

#include "benchmarks/micro_sizes.hpp"

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using ccbench::micro::spawn_batch;
using int_channel = asio::experimental::channel<void(error_code, int)>;
using sum_channel = asio::experimental::channel<void(error_code, std::uint64_t)>;

// Runs body as the one coroutine of a fresh io_context on this thread; what
// escapes the coroutine is rethrown by run(). Concurrency hint 1: one thread runs
// it, as with our loop.
void run_on_io(awaitable<void> body) {
  asio::io_context io{1};
  asio::co_spawn(io, std::move(body), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

awaitable<void> yield_body(benchmark::State& state) {
  const auto ex = co_await asio::this_coro::executor;
  for (auto _ : state) co_await asio::post(ex, use_awaitable);
}

void BM_asio_yield(benchmark::State& state) {
  run_on_io(yield_body(state));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_asio_yield);

awaitable<void> trivial() { co_return; }

awaitable<void> spawn_body(benchmark::State& state) {
  const auto ex = co_await asio::this_coro::executor;
  int pending = 0;
  while (state.KeepRunningBatch(spawn_batch)) {
    for (int i = 0; i < spawn_batch; ++i) {
      ++pending;
      // Complete means the completion handler ran: co_spawn starts the coroutine
      // at once but hands its result over through one more post.
      asio::co_spawn(ex, trivial(), [&pending](std::exception_ptr) { --pending; });
    }
    while (pending != 0) co_await asio::post(ex, use_awaitable);
  }
}

void BM_asio_spawn(benchmark::State& state) {
  run_on_io(spawn_body(state));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_asio_spawn);

awaitable<void> timer_body(benchmark::State& state, std::chrono::nanoseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (auto _ : state) {
    timer.expires_after(d);
    co_await timer.async_wait(use_awaitable);
  }
}

void BM_asio_timer(benchmark::State& state, std::chrono::nanoseconds d) {
  run_on_io(timer_body(state, d));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_asio_timer, 0ms, 0ns)->UseRealTime();
BENCHMARK_CAPTURE(BM_asio_timer, 1ms, 1ms)->UseRealTime();

awaitable<void> echo(int_channel& in, int_channel& out) {
  for (int v; (v = co_await in.async_receive(use_awaitable)) >= 0;) {
    co_await out.async_send(error_code{}, v, use_awaitable);
  }
}

awaitable<void> handoff_body(benchmark::State& state) {
  const auto ex = co_await asio::this_coro::executor;
  // Capacity 1: a send never waits for the receiver, as with the loop's mailbox.
  int_channel ping(ex, 1), pong(ex, 1);
  asio::co_spawn(ex, echo(ping, pong), asio::detached);
  int i = 0;
  for (auto _ : state) {
    co_await ping.async_send(error_code{}, i, use_awaitable);
    const int v = co_await pong.async_receive(use_awaitable);
    benchmark::DoNotOptimize(v);
    ++i;
    i &= 0xffff;
  }
  co_await ping.async_send(error_code{}, -1, use_awaitable);
  // echo ends before the channels go out of scope: it is resumed through the
  // io_context's queue, and so is this coroutine after a post.
  co_await asio::post(ex, use_awaitable);
}

void BM_asio_handoff(benchmark::State& state) {
  run_on_io(handoff_body(state));
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_asio_handoff);

awaitable<void> offload_body(benchmark::State& state, asio::thread_pool& pool) {
  for (auto _ : state) {
    // Asio's to_thread: run a coroutine on the pool, resume here with its result.
    const int v = co_await asio::co_spawn(
        pool, []() -> awaitable<int> { co_return 1; }, use_awaitable);
    benchmark::DoNotOptimize(v);
  }
}

void BM_asio_offload(benchmark::State& state) {
  asio::thread_pool pool(2);
  run_on_io(offload_body(state, pool));
  pool.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_asio_offload)->UseRealTime();

// Skynet: every node is a co_spawned coroutine; an inner node spawns its 10
// children and receives their sums over a channel with room for all 10. Note that
// co_spawn from the io_context's own thread starts the child at once (dispatch),
// so Asio walks the tree depth-first; that is its behaviour, kept as is.
awaitable<void> skynet(std::uint64_t num, std::uint64_t size, sum_channel& parent) {
  if (size == 1) {
    parent.try_send(error_code{}, num);  // cannot fail: room for every child
    co_return;
  }
  const auto ex = co_await asio::this_coro::executor;
  sum_channel children(ex, 10);
  size /= 10;
  for (std::uint64_t i = 0; i < 10; ++i) {
    asio::co_spawn(ex, skynet(num + i * size, size, children), asio::detached);
  }
  std::uint64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += co_await children.async_receive(use_awaitable);
  parent.try_send(error_code{}, sum);
}

awaitable<void> skynet_body(benchmark::State& state, std::uint64_t leaves) {
  const auto ex = co_await asio::this_coro::executor;
  for (auto _ : state) {
    sum_channel root(ex, 1);
    asio::co_spawn(ex, skynet(0, leaves, root), asio::detached);
    const std::uint64_t sum = co_await root.async_receive(use_awaitable);
    if (sum != ccbench::micro::skynet_sum(leaves)) {
      state.SkipWithError("skynet: wrong sum");
      break;
    }
  }
}

void BM_skynet_asio(benchmark::State& state) {
  const std::uint64_t leaves = ccbench::micro::skynet_leaves();
  run_on_io(skynet_body(state, leaves));
  const std::uint64_t tasks = leaves + (leaves - 1) / 9;
  state.counters["leaves"] = static_cast<double>(leaves);
  state.counters["tasks"] = static_cast<double>(tasks);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(tasks));
}
BENCHMARK(BM_skynet_asio)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
