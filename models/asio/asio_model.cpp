#include "models/asio/asio_model.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/version.hpp>

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"

namespace ccbench::models {
namespace {

namespace asio = boost::asio;

// The io_context's own executor type rather than the default any_io_executor:
// the same awaitable/co_spawn/steady_timer idiom without type erasure on every
// timer wait and resumption, as a user tuning Asio would write it.
using io_executor = asio::io_context::executor_type;
template <typename T>
using awaitable = asio::awaitable<T, io_executor>;
using steady_timer = asio::steady_timer::rebind_executor<io_executor>::other;
constexpr asio::use_awaitable_t<io_executor> use_awaitable;

// ccbench::clock's time points are std::chrono::steady_clock's, so probe
// deadlines go to the timer as they are.
static_assert(std::is_same_v<steady_timer::time_point, ccbench::time_point>);

// Completes when block_for(d) has run on `pool`, resuming the awaiting coroutine
// through its own executor (the io_context), as asyncio.to_thread does.
//
// Why not `co_await asio::post(pool, use_awaitable)`: post() invokes the
// completion handler through the handler's associated executor, which for
// use_awaitable is the io_context, so the coroutine would resume on an io thread
// and the block would still hold the loop. Binding the token to the pool
// (`post(bind_executor(pool, use_awaitable))`, then `post(io, ...)` back) moves
// the whole coroutine onto a pool thread and back: the same two queue hops, but
// the frame, its timer and Asio's coroutine machinery then run on a thread that
// is not the loop. Here only block_for leaves the io_context; the pool just
// carries the handler and posts it home, so the cost is one pool post, one io post.
template <typename CompletionToken>
auto async_block_for(asio::thread_pool& pool, nanoseconds d, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void()>(
      [](auto handler, asio::thread_pool* on, nanoseconds duration) {
        // Counts as outstanding work on the io_context while the step is away,
        // so run() cannot return before the handler is back in its queue.
        auto work = asio::make_work_guard(handler);
        asio::post(*on, [duration, work = std::move(work), handler = std::move(handler)]() mutable {
          block_for(duration);
          asio::post(std::move(handler));  // to the handler's executor: the io_context
          work.reset();
        });
      },
      token, &pool, d);
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

// Where steps that would hold an io thread go: block steps to `threads` under
// any offload, cpu steps to worker processes (`procs`) under --offload process.
struct offload_plan {
  asio::thread_pool* threads = nullptr;
  process_pool* procs = nullptr;
};

// The first exception that escaped a coroutine or an io thread. Rethrowing it
// inside io_context::run() would terminate the process from a helper thread, so
// it is kept and do_run rethrows it once everything is joined: the run becomes
// status `error` instead of the exception being swallowed.
class first_error {
 public:
  void record(std::exception_ptr e) noexcept {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(e);
  }
  void rethrow_if_any() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

// Runs one task's steps and reports it. Every stretch it runs between two
// suspensions is a segment (slow resumes, busy ratio, stall log).
awaitable<void> execute(run_context& ctx, const ccbench::task& t, steady_timer& timer,
                        offload_plan offload) {
  segment seg = ctx.resume(t);
  std::uint64_t sum = 0;
  try {
    for (const step& s : ctx.steps(t)) {
      switch (s.kind) {
        case step_kind::io:
          // From the stamp that closes the segment: what expires_after would
          // read again a few ns later (Asio's own steady_clock read).
          timer.expires_at(seg.close() + s.duration);
          co_await timer.async_wait(use_awaitable);
          seg = ctx.resume(t);
          break;
        case step_kind::cpu:
          if (offload.procs != nullptr) {
            seg.close();
            sum = co_await async_run_in_process(*offload.procs, s, sum, use_awaitable);
            seg = ctx.resume(t);
          } else {
            seg.step(s.index, s.kind);
            sum = fold_checksum(sum, cpu_burn(s.seed, s.rounds));
          }
          break;
        case step_kind::block:
          if (offload.threads != nullptr) {
            seg.close();
            co_await async_block_for(*offload.threads, s.duration, use_awaitable);
            seg = ctx.resume(t);
          } else {
            seg.step(s.index, s.kind);
            block_for(s.duration);  // holds this io thread: the point of the exercise
          }
          break;
      }
    }
    ctx.complete(t, sum, seg);  // the completion stamp closes the last segment
  } catch (const std::exception& e) {
    seg.close();
    ctx.fail(t, e.what());
  } catch (...) {
    seg.close();
    ctx.fail(t, "unknown exception");
  }
}

// Closed loop: one client keeps one task in flight. It yields to the io_context
// between tasks, as a server does when it reads the next request, so a task
// with no wait cannot keep the other clients (and the probe) from ever running.
awaitable<void> client(run_context& ctx, offload_plan offload) {
  const io_executor ex = co_await asio::this_coro::executor;
  steady_timer timer(ex);
  while (const std::optional<ccbench::task> t = ctx.next_task()) {
    co_await asio::post(ex, use_awaitable);
    co_await execute(ctx, *t, timer, offload);
  }
}

awaitable<void> arrival(run_context& ctx, ccbench::task t, offload_plan offload) {
  steady_timer timer(co_await asio::this_coro::executor);
  co_await execute(ctx, t, timer, offload);
}

// Open loop: a timer-driven generator on the io_context starts each task at its
// intended time, so busy io threads also delay the arrivals behind them.
template <typename OnExit>
awaitable<void> generator(run_context& ctx, offload_plan offload, OnExit on_exit) {
  const io_executor ex = co_await asio::this_coro::executor;
  steady_timer timer(ex);
  while (std::optional<ccbench::task> t = ctx.next_arrival()) {
    timer.expires_at(t->intended_start);
    co_await timer.async_wait(use_awaitable);
    ctx.launched(*t);
    asio::co_spawn(ex, arrival(ctx, *t, offload), on_exit);
  }
}

// One probe coroutine, so woke() is never called concurrently; whichever io
// thread resumes it, the io_context's queue orders one wake-up after the last.
awaitable<void> probe(run_context& ctx) {
  stall_probe& p = ctx.probe();
  steady_timer timer(co_await asio::this_coro::executor);
  while (!ctx.stopping()) {
    timer.expires_at(p.deadline());
    co_await timer.async_wait(use_awaitable);
    p.woke();
  }
}

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
  void do_run(run_context& ctx) override {
    const int threads = std::max(1, ctx.options().threads);
    // Before any thread exists: the io threads and the offload pool inherit it.
    set_precise_timer_slack();

    // The hint tells Asio how many threads will call run(); with 1 it queues
    // what the io thread posts itself in a private queue, without the lock.
    asio::io_context io(threads);
    // Declared after io: destroyed (stopped and joined) first, while the
    // handlers its jobs carry can still be destroyed by io.
    std::optional<asio::thread_pool> pool;
    if (ctx.options().offload != offload_mode::none) {
      const int n = offload_thread_count(ctx.options());
      pool.emplace(static_cast<std::size_t>(n));
      ctx.note("offload_threads", static_cast<double>(n));
    }
    ctx.note("asio", BOOST_LIB_VERSION);
    ctx.note("io_threads", static_cast<double>(threads));

    first_error errors;
    const auto on_exit = [&errors](std::exception_ptr e) {
      if (e) errors.record(std::move(e));
    };
    // Worker processes for cpu steps; destroyed before io (every job has ended
    // by then: the clients awaited them all).
    std::optional<process_pool> procs;
    if (ctx.options().offload == offload_mode::process) {
      const int n = offload_process_count(ctx.options());
      procs.emplace(n);
      ctx.note("offload_processes", static_cast<double>(n));
    }
    offload_plan offload;
    offload.threads = pool ? &*pool : nullptr;
    offload.procs = procs ? &*procs : nullptr;

    std::vector<std::thread> helpers;
    helpers.reserve(static_cast<std::size_t>(threads - 1));
    {
      // Keeps the helpers' run() from returning before the coroutines exist.
      auto started = asio::make_work_guard(io);
      try {
        for (int i = 1; i < threads; ++i) {
          helpers.emplace_back([&io, &errors] { run_io(io, errors); });
        }
        asio::co_spawn(io, probe(ctx), on_exit);
        if (ctx.open_loop()) {
          asio::co_spawn(io, generator(ctx, offload, on_exit), on_exit);
        } else {
          for (std::uint64_t c = 0; c < ctx.concurrency(); ++c) {
            asio::co_spawn(io, client(ctx, offload), on_exit);
          }
        }
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
    errors.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_asio_model() { return std::make_unique<asio_model>(); }

}  // namespace ccbench::models
