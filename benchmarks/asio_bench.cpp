// BM_asio_*: Boost.Asio's C++20 coroutines used directly (io_context, co_spawn,
// awaitable, post, steady_timer, experimental::channel), and BM_skynet_asio.
// Each benchmark runs its timing loop in one coroutine on a fresh io_context run
// by the benchmark thread alone.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <span>
#include <thread>

#include "benchmarks/micro_server.hpp"
#include "benchmarks/micro_sizes.hpp"
#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/net_protocol.hpp"
#include "models/asio/asio_idiom.hpp"

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

// BM_asio_sleepers: the load of `ccbench run -m asio -t 1 -w io:10ms -c 10000`
// as a bare Asio program (the bare program BM_loop_sleepers is for the loop):
// a coroutine a client, each awaiting a steady_timer 10 ms from its last
// completion, and a probe coroutine every 1 ms, on one io_context run by this
// thread. Written as a user tuning Asio would: the io_context's own executor
// type (no type erasure), a timer per client, use_awaitable. A completion is
// one clock read and one histogram record, as in BM_floor_sleepers. One
// iteration is one completion; the CPU time per iteration is the figure that
// the asio model inside ccbench is held to (within 1.3x).
namespace sleepers {

// The asio model's own idiom (models/asio/asio_idiom.hpp).
using ccbench::asio_idiom::io_executor;
template <typename T>
using typed_awaitable = ccbench::asio_idiom::awaitable<T>;
using typed_timer = ccbench::asio_idiom::timer;
constexpr auto typed_use_awaitable = ccbench::asio_idiom::use_awaitable;

struct tally {
  ccbench::histogram latency, lateness;
  std::uint64_t done = 0, target = 0;
  typed_timer* gate = nullptr;  // the main coroutine waits on it for a batch
  bool stop = false;

  void completed(std::int64_t ns) noexcept {
    latency.record(ns);
    if (++done == target && gate != nullptr) gate->cancel();
  }
};

typed_awaitable<void> client(tally& t) {
  typed_timer timer(co_await asio::this_coro::executor);
  ccbench::time_point start = ccbench::clock::now();
  while (!t.stop) {
    timer.expires_at(start + ccbench::micro::sleeper_sleep);
    co_await timer.async_wait(typed_use_awaitable);
    const ccbench::time_point now = ccbench::clock::now();
    t.completed((now - start).count());
    start = now;
  }
}

typed_awaitable<void> probe(tally& t) {
  typed_timer timer(co_await asio::this_coro::executor);
  ccbench::time_point due = ccbench::clock::now() + ccbench::micro::sleeper_probe_period;
  while (!t.stop) {
    timer.expires_at(due);
    co_await timer.async_wait(typed_use_awaitable);
    const ccbench::time_point now = ccbench::clock::now();
    t.lateness.record((now - due).count());
    due = now + ccbench::micro::sleeper_probe_period;
  }
}

typed_awaitable<void> body(benchmark::State& state, std::size_t n, tally& t) {
  const io_executor ex = co_await asio::this_coro::executor;
  const auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };
  asio::co_spawn(ex, probe(t), rethrow);
  for (std::size_t i = 0; i < n; ++i) asio::co_spawn(ex, client(t), rethrow);  // all at once
  typed_timer gate(ex);
  gate.expires_after(ccbench::micro::sleeper_warmup);
  co_await gate.async_wait(typed_use_awaitable);
  t.target = t.done;
  t.gate = &gate;
  while (state.KeepRunningBatch(ccbench::micro::sleeper_batch)) {
    t.target += ccbench::micro::sleeper_batch;  // from the target: see BM_floor_sleepers
    if (t.done >= t.target) continue;
    gate.expires_at(typed_timer::time_point::max());
    error_code ec;  // operation_aborted: the batch is done
    co_await gate.async_wait(asio::redirect_error(typed_use_awaitable, ec));
  }
  t.gate = nullptr;
  t.stop = true;  // the clients and the probe end at their next wake-up
}

}  // namespace sleepers

void BM_asio_sleepers(benchmark::State& state) {
  const std::size_t n = ccbench::micro::sleepers();
  const auto t = std::make_unique<sleepers::tally>();
  asio::io_context io{1};
  asio::co_spawn(io, sleepers::body(state, n, *t), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  state.counters["sleepers"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations());
}
// Real time paces the run; the CPU time per iteration is the figure.
BENCHMARK(BM_asio_sleepers)->UseRealTime()->MinTime(ccbench::micro::sleeper_min_time());

}  // namespace

namespace {

// One net step's round trip in the asio model's idiom (async_write, then
// async_read_some until the reply is in) against the delay server on a thread
// of its own, with no delay and a 64-byte reply: beside BM_loop_net and
// BM_floor_tcp_roundtrip.
awaitable<void> net_body(benchmark::State& state, asio::ip::tcp::endpoint to) {
  asio::ip::tcp::socket s(co_await asio::this_coro::executor);
  co_await s.async_connect(to, use_awaitable);
  s.set_option(asio::ip::tcp::no_delay(true));
  std::byte buf[4096];
  std::uint64_t nonce = 1;
  for (auto _ : state) {
    const ccbench::net::request r{64, 0, nonce};
    const auto req = ccbench::net::encode(r);
    co_await asio::async_write(s, asio::buffer(req), use_awaitable);
    ccbench::net::reply_reader reader(r);
    while (!reader.done()) {
      const std::span<std::byte> into = reader.next(buf);
      const std::size_t n =
          co_await s.async_read_some(asio::buffer(into.data(), into.size()), use_awaitable);
      if (reader.consume(into.first(n)) != ccbench::net::trip_error::none) break;
    }
    if (!reader.done() || reader.digest_value() != ccbench::net::expected_digest(nonce, 64)) {
      state.SkipWithError("wrong reply");
      break;
    }
    ++nonce;
  }
}

void BM_asio_net(benchmark::State& state) {
  {
    const ccbench::micro::server_thread server;
    const auto& a = server.address().addr;
    run_on_io(
        net_body(state, asio::ip::tcp::endpoint(asio::ip::address_v4(ntohl(a.sin_addr.s_addr)),
                                                ntohs(a.sin_port))));
  }
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_asio_net)->UseRealTime();

}  // namespace
