#include "models/asio/asio_model.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/version.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "harness/cpu_set.hpp"
#include "harness/driver.hpp"
#include "harness/net_protocol.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"
#include "models/asio/asio_idiom.hpp"

namespace ccbench::models {
namespace {

namespace asio = boost::asio;

using asio_idiom::awaitable;
using asio_idiom::io_executor;
using asio_idiom::use_awaitable;
using steady_timer = asio_idiom::timer;

// Completes when step `s` (a block step) has run on `pool`, resuming the
// awaiting coroutine through its own executor (the io_context), as
// asyncio.to_thread does; an exception the step threw is rethrown there.
//
// Why not `co_await asio::post(pool, use_awaitable)`: post() invokes the
// completion handler through the handler's associated executor, which for
// use_awaitable is the io_context, so the coroutine would resume on an io thread
// and the block would still hold the loop. Binding the token to the pool
// (`post(bind_executor(pool, use_awaitable))`, then `post(io, ...)` back) moves
// the whole coroutine onto a pool thread and back: the same two queue hops, but
// the frame, its timer and Asio's coroutine machinery then run on a thread that
// is not the loop. Here only the step leaves the io_context; the pool just
// carries the handler and posts it home, so the cost is one pool post, one io post.
template <typename CompletionToken>
auto async_run_on(asio::thread_pool& pool, const step& s, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(std::exception_ptr)>(
      [](auto handler, asio::thread_pool* on, const step* what) {
        // Counts as outstanding work on the io_context while the step is away,
        // so run() cannot return before the handler is back in its queue.
        auto work = asio::make_work_guard(handler);
        asio::post(*on, [what, work = std::move(work), handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          try {
            run_step(*what, 0);
          } catch (...) {
            error = std::current_exception();
          }
          // To the handler's executor: the io_context.
          asio::post(asio::append(std::move(handler), std::move(error)));
          work.reset();
        });
      },
      token, &pool, &s);
}

// Completes when the cpu step `s` has run on a worker process, folded into
// `acc`; resumes the awaiting coroutine through its own executor (the
// io_context), as a ProcessPoolExecutor future awaited from asyncio would.
// The job lives on the heap until the pool's dispatcher thread reports it.
template <typename CompletionToken>
auto async_run_in_process(process_pool& pool, const step& s, std::uint64_t acc,
                          CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(std::exception_ptr, std::uint64_t)>(
      [](auto handler, process_pool* on, const step* what, std::uint64_t start) {
        using handler_type = decltype(handler);
        struct job final : process_job {
          job(handler_type h) : handler(std::move(h)), work(asio::make_work_guard(handler)) {}
          void done(std::uint64_t checksum, std::string_view error) noexcept override {
            std::exception_ptr e;
            if (!error.empty()) e = std::make_exception_ptr(std::runtime_error(std::string(error)));
            auto h = std::move(handler);
            auto w = std::move(work);
            delete this;
            asio::post(asio::append(std::move(h), e, checksum));
            w.reset();
          }
          handler_type handler;
          asio::executor_work_guard<asio::associated_executor_t<handler_type>> work;
        };
        auto* j = new job(std::move(handler));
        try {
          on->submit(std::span(what, 1), start, *j);
        } catch (...) {
          delete j;
          throw;
        }
      },
      token, &pool, &s, acc);
}

// Asio's primitives for the driver (harness/driver.hpp): awaitable
// coroutines spawned on the io_context, a steady_timer per coroutine, post()
// to yield, and the offloads above.
struct asio_primitives {
  template <class T>
  using task = awaitable<T>;
  struct client {
    explicit client(asio_primitives& m) : timer(m.io) {}
    steady_timer timer;
  };
  static constexpr bool cooperative = true;

  asio::io_context& io;
  first_error& errors;
  bool one_thread = true;  // the io thread that fires a timer is the one that resumes its task
  asio::thread_pool* threads = nullptr;  // --offload thread or process
  process_pool* procs = nullptr;         // --offload process

  // After a wait: on one io thread, the timer queue's clock reading before it
  // fired (clock::last(): only later stamps can have come since, never an
  // idle wait). On several, the thread that runs a handler may have slept
  // since its last reading: a fresh one.
  time_point resume_stamp() const noexcept { return one_thread ? clock::last() : clock::now(); }
  static auto sleep_until(client& c, time_point deadline) {
    c.timer.expires_at(deadline);
    return c.timer.async_wait(use_awaitable);
  }
  auto yield(client&) { return asio::post(io.get_executor(), use_awaitable); }
  void spawn(awaitable<void> a) {
    asio::co_spawn(io, std::move(a), [this](std::exception_ptr e) { errors.record(std::move(e)); });
  }
  auto block_elsewhere(client&, const step& s) { return async_run_on(*threads, s, use_awaitable); }
  auto cpu_elsewhere(client&, const step& s, std::uint64_t acc) {
    return async_run_in_process(*procs, s, acc, use_awaitable);
  }

  // Net steps: ip::tcp::socket with async_write / async_read_some awaited,
  // from a pool of connections that no step uses now: each closed-loop client
  // opens one before the window (net_connect(), from the driver) and holds
  // one only during a round trip, so a closed loop of C clients has C,
  // reused for the run. Destroyed before io.
  using tcp_socket = asio::basic_stream_socket<asio::ip::tcp, io_executor>;
  std::optional<asio::ip::tcp::endpoint> server{};
  std::string server_text{};
  std::mutex net_mutex{};  // guards idle and connections: several io threads
  std::vector<std::unique_ptr<tcp_socket>> idle{};
  std::size_t connections = 0;

  // The run's delay server (net steps), if it has one.
  void use_session_server() {
    if (const std::optional<net::endpoint> at = net::session_server()) {
      server.emplace(asio::ip::address_v4(ntohl(at->addr.sin_addr.s_addr)),
                     ntohs(at->addr.sin_port));
      server_text = at->text();
    }
  }
  std::unique_ptr<tcp_socket> take_connection() {
    std::lock_guard lock(net_mutex);
    if (idle.empty()) return nullptr;
    std::unique_ptr<tcp_socket> s = std::move(idle.back());
    idle.pop_back();
    return s;
  }
  awaitable<std::uint64_t> net_round_trip(client&, const step& s) {
    std::unique_ptr<tcp_socket> sock = take_connection();
    const net::request r{static_cast<std::uint32_t>(s.rounds),
                         static_cast<std::uint64_t>(s.duration.count()), s.seed};
    net::reply_reader reader(r);
    // None idle: one was lost, or an open loop grew past what it opened ahead.
    if (!sock) sock = co_await open_connection();
    try {
      const auto req = net::encode(r);
      co_await asio::async_write(*sock, asio::buffer(req), use_awaitable);
      // Header and payload as they come, in as few reads as the sizes allow.
      std::byte buf[4096];
      while (!reader.done()) {
        const std::span<std::byte> into = reader.next(buf);
        const std::size_t n =
            co_await sock->async_read_some(asio::buffer(into.data(), into.size()), use_awaitable);
        if (const net::trip_error e = reader.consume(into.first(n)); e != net::trip_error::none) {
          throw std::runtime_error(std::string(net::to_string(e)));
        }
      }
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("lost the connection to the delay server at " + server_text + ": " +
                               e.code().message());
    }
    std::lock_guard lock(net_mutex);
    idle.push_back(std::move(sock));
    co_return reader.digest_value();
  }
  // One more idle connection (the driver, before the window).
  awaitable<void> net_connect(client&) {
    std::unique_ptr<tcp_socket> sock = co_await open_connection();
    std::lock_guard lock(net_mutex);
    idle.push_back(std::move(sock));
  }
  awaitable<std::unique_ptr<tcp_socket>> open_connection() {
    auto sock = std::make_unique<tcp_socket>(io);
    try {
      co_await sock->async_connect(*server, use_awaitable);
      sock->set_option(asio::ip::tcp::no_delay(true));
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot connect to the delay server at " + server_text + ": " +
                               e.code().message());
    }
    net::connection_opened();
    std::lock_guard lock(net_mutex);
    ++connections;
    co_return sock;
  }
};

void run_io(asio::io_context& io, first_error& errors) noexcept {
  set_precise_timer_slack();
  try {
    io.run();
  } catch (...) {
    // A handler threw (a bug: coroutine results go to first_error). Stop every
    // io thread so do_run can join them and report it.
    errors.record(std::current_exception());
    io.stop();
  }
}

class asio_model final : public model {
  void do_run(model_context& ctx) override {
    const int threads = std::max(1, ctx.options().threads);
    // Before any thread exists: the io threads and the offload pool inherit it.
    set_precise_timer_slack();

    // The hint tells Asio how many threads will call run(); with 1 it queues
    // what the io thread posts itself in a private queue, without the lock.
    asio::io_context io(threads);
    ctx.note("asio", BOOST_LIB_VERSION);
    ctx.note("io_threads", static_cast<double>(threads));
    first_error errors;
    asio_primitives prims{io, errors};
    prims.one_thread = threads == 1;
    prims.use_session_server();
    // Declared after io: destroyed (stopped and joined) first, while the
    // handlers its jobs carry can still be destroyed by io.
    std::optional<asio::thread_pool> pool;
    if (ctx.options().offload != offload_mode::none) {
      const int n = offload_thread_count(ctx.options());
      prims.threads = &pool.emplace(static_cast<std::size_t>(n));
      ctx.note("offload_threads", static_cast<double>(n));
    }
    // Worker processes for cpu steps; destroyed before io (every job has ended
    // by then: the clients awaited them all).
    std::optional<process_pool> procs = offload_processes(ctx);
    if (procs) prims.procs = &*procs;
    driver<asio_primitives> d(ctx, prims);

    std::vector<std::thread> helpers;
    helpers.reserve(static_cast<std::size_t>(threads - 1));
    {
      // Keeps the helpers' run() from returning before the coroutines exist.
      auto started = asio::make_work_guard(io);
      try {
        for (int i = 1; i < threads; ++i) {
          helpers.emplace_back([&io, &errors] { run_io(io, errors); });
        }
        prims.spawn(d.probe());
        d.start_load();
      } catch (...) {
        // Out of threads or memory while starting: abandon the run. Coroutines
        // already spawned are destroyed with io; the runner records the error.
        io.stop();
        started.reset();
        for (std::thread& h : helpers) h.join();
        throw;
      }
    }
    // The runner's thread is the last io thread. run() returns on every thread
    // once the clients and the probe have finished (co_spawn keeps the
    // io_context busy while a coroutine lives) or after a stop().
    run_io(io, errors);
    for (std::thread& h : helpers) h.join();
    if (pool) pool->join();
    if (prims.connections > 0) ctx.note("net_connections", static_cast<double>(prims.connections));
    errors.rethrow_if_any();
  }
};

// Asio's own layout for many cores (its io_context-pool example): an
// io_context per thread, each run by that one thread, sharing nothing. Each
// runs the driver on its share of the load with its own probe, offload pool and
// worker processes; its thread is pinned as `shards` pins its loops, so that
// the two differ only in the library.
void run_asio_shard(model_context& ctx, load_share share, int cpu, int offload_procs,
                    first_error& errors, std::latch& ready) noexcept {
  bool arrived = false;  // as `shards`: the load starts once every io_context is ready
  try {
    set_precise_timer_slack();
    asio::io_context io(1);  // one thread: Asio's private queue, without the lock
    asio_primitives prims{io, errors};
    prims.one_thread = true;
    prims.use_session_server();
    // The offload pools are made before the pin, as `shards` makes its: they
    // may run on any of the run's CPUs.
    std::optional<asio::thread_pool> pool;
    if (ctx.options().offload != offload_mode::none) {
      prims.threads = &pool.emplace(static_cast<std::size_t>(offload_thread_count(ctx.options())));
    }
    std::optional<process_pool> procs;
    if (ctx.options().offload == offload_mode::process) prims.procs = &procs.emplace(offload_procs);
    if (share.count > 1) pin_this_thread(cpu);  // as `shards`: one is not pinned
    driver<asio_primitives> d(ctx, prims, share);
    arrived = true;
    ready.arrive_and_wait();
    prims.spawn(d.probe());
    d.start_load();
    run_io(io, errors);
    if (pool) pool->join();
  } catch (...) {
    if (!arrived) ready.count_down();
    errors.record(std::current_exception());
  }
}

class asio_shards_model final : public model {
  void do_run(model_context& ctx) override {
    const int n = std::max(1, ctx.options().threads);
    set_precise_timer_slack();
    ctx.note("asio", BOOST_LIB_VERSION);
    ctx.note("io_contexts", static_cast<double>(n));
    const std::vector<int> cpus = allowed_cpus();
    int offload_procs = 0;
    if (ctx.options().offload == offload_mode::process) {
      // As `shards`: split over the io_contexts, two at least each.
      offload_procs = std::max(2, offload_process_count(ctx.options()) / n);
      ctx.note("offload_processes", static_cast<double>(offload_procs * n));
    }
    if (ctx.options().offload != offload_mode::none) {
      ctx.note("offload_threads", static_cast<double>(offload_thread_count(ctx.options()) * n));
    }
    driver<asio_primitives>::use_shares(ctx, static_cast<std::size_t>(n));
    first_error errors;
    std::latch ready(n);
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(n));
    try {
      for (int i = 0; i < n; ++i) {
        const load_share share{static_cast<std::size_t>(i), static_cast<std::size_t>(n)};
        threads.emplace_back(run_asio_shard, std::ref(ctx), share,
                             cpus[static_cast<std::size_t>(i) % cpus.size()], offload_procs,
                             std::ref(errors), std::ref(ready));
      }
    } catch (...) {
      ready.count_down(n - static_cast<int>(threads.size()));
      errors.record(std::current_exception());
    }
    for (std::thread& t : threads) t.join();
    errors.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_asio_model() { return std::make_unique<asio_model>(); }

std::unique_ptr<model> make_asio_shards_model() { return std::make_unique<asio_shards_model>(); }

}  // namespace ccbench::models
