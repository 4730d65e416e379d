// ccbench's own event loop: one thread, C++20 coroutines, an asyncio analogue.
// Ready queue for zero-delay resumption, a timer heap, epoll with an eventfd for
// wake-ups from other threads, and a thread pool behind to_thread().
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/loop/task.hpp"
#include "models/loop/timer_heap.hpp"

namespace ccbench::loop {

using clock = std::chrono::steady_clock;

namespace detail {

/// Work handed to the offload pool; lives in the awaiting coroutine's frame.
struct offload_job {
  /// Runs on a pool thread. Must not throw.
  virtual void run() noexcept = 0;
  std::coroutine_handle<> waiter;

 protected:
  ~offload_job() = default;
};

class thread_pool;

}  // namespace detail

/// The event loop. Construct it anywhere, then call run() on the thread that is
/// to be the loop thread. Every member except post() is for the loop thread.
class event_loop {
 public:
  struct options {
    /// Most threads to_thread() may start (lazily, like Python's default
    /// executor); 0 means asyncio's default, min(32, cores + 4).
    int offload_threads = 0;
  };

  event_loop() : event_loop(options{}) {}
  explicit event_loop(options opts);
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// asyncio.run: runs `main` on the calling thread until it finishes, and
  /// returns its value or rethrows its exception. Tasks spawned and not yet
  /// finished when main returns stay suspended (their frames are leaked).
  template <class T>
  T run(task<T> main) {
    run_until_done(main.handle());
    rethrow_unhandled();
    return main.handle().promise().take();
  }

  /// asyncio.create_task without a handle: starts `t` soon, detached. An
  /// exception escaping it is kept and rethrown by run().
  void spawn(task<void> t);

  /// Resumes `h` on the loop thread soon, after what is ready now (FIFO).
  void schedule(std::coroutine_handle<> h) noexcept;

  /// Any thread: resumes `h` on the loop thread, waking the loop if it waits.
  void post(std::coroutine_handle<> h) noexcept;

  void arm(timer_node& node) noexcept { timers_.push(node); }
  void disarm(timer_node& node) noexcept { timers_.cancel(node); }

  /// Hands `job` to the offload pool; the pool posts job->waiter when done.
  void offload(detail::offload_job& job);
  /// Threads to_thread() may use.
  int offload_threads() const noexcept { return offload_limit_; }

  /// The loop running on this thread, or nullptr.
  static event_loop* current() noexcept;

  /// Number of timers armed right now.
  std::size_t pending_timers() const noexcept { return timers_.size(); }

 private:
  void run_until_done(std::coroutine_handle<> main);
  void rethrow_unhandled();
  void fire_timers(std::int64_t now_ns) noexcept;
  void take_posted() noexcept;
  void wait_for_events(std::int64_t timeout_ns);
  void finish_offload(std::coroutine_handle<> h) noexcept;

  // Ready queue: a ring buffer of handles (power-of-two capacity).
  std::vector<std::coroutine_handle<>> ready_;
  std::size_t head_ = 0, count_ = 0;
  void push_ready(std::coroutine_handle<> h) noexcept;
  std::coroutine_handle<> pop_ready() noexcept;

  timer_heap timers_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;

  std::mutex posted_mutex_;
  std::vector<std::coroutine_handle<>> posted_;
  std::vector<std::coroutine_handle<>> posted_spare_;
  std::atomic<bool> has_posted_{false};
  std::atomic<std::int64_t> offloads_in_flight_{0};

  int offload_limit_;
  std::unique_ptr<detail::thread_pool> pool_;
  std::exception_ptr unhandled_;
};

// ---- awaitables ------------------------------------------------------------

/// asyncio.sleep until an absolute time. A deadline already past still yields
/// once through the ready queue (never through a timer).
class sleep_until_awaiter {
 public:
  explicit sleep_until_awaiter(clock::time_point deadline) noexcept
      : deadline_ns_(deadline.time_since_epoch().count()) {}
  sleep_until_awaiter(const sleep_until_awaiter&) = delete;
  ~sleep_until_awaiter() {
    if (node_.armed()) loop_->disarm(node_);  // destroyed while sleeping: cancelled
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    loop_ = event_loop::current();
    if (deadline_ns_ <= clock::now().time_since_epoch().count()) {
      loop_->schedule(h);
      return;
    }
    node_.deadline_ns = deadline_ns_;
    node_.handle = h;
    loop_->arm(node_);
  }
  void await_resume() const noexcept {}

 private:
  std::int64_t deadline_ns_;
  event_loop* loop_ = nullptr;
  timer_node node_;
};

inline sleep_until_awaiter sleep_until(clock::time_point deadline) noexcept {
  return sleep_until_awaiter(deadline);
}
/// asyncio.sleep(d). sleep_for(0ns) is a yield: the ready queue, not a timer.
template <class Rep, class Period>
sleep_until_awaiter sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
  return sleep_until_awaiter(clock::now() + std::chrono::duration_cast<clock::duration>(d));
}

/// asyncio.sleep(0): lets every other ready coroutine run first.
inline auto yield() noexcept {
  struct awaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const noexcept {
      event_loop::current()->schedule(h);
    }
    void await_resume() const noexcept {}
  };
  return awaiter{};
}

/// asyncio.to_thread: runs fn() on the loop's offload pool and resumes the
/// awaiting coroutine on the loop thread with its result (or exception).
template <class F>
class to_thread_awaiter final : private detail::offload_job {
  using result_type = std::invoke_result_t<F&>;

 public:
  explicit to_thread_awaiter(F fn) : fn_(std::move(fn)) {}
  bool await_ready() const noexcept { return false; }
  // noinline, and nothing touches `this` after offload(): the pool may resume
  // (and free) this frame before offload() returns (llvm/llvm-project#56301).
  [[gnu::noinline]] void await_suspend(std::coroutine_handle<> h) {
    waiter = h;
    event_loop::current()->offload(*this);
  }
  result_type await_resume() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<result_type>) return std::move(*result_);
  }

 private:
  void run() noexcept override {
    try {
      if constexpr (std::is_void_v<result_type>) {
        fn_();
      } else {
        result_.emplace(fn_());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  F fn_;
  std::conditional_t<std::is_void_v<result_type>, bool, std::optional<result_type>> result_{};
  std::exception_ptr error_;
};

template <class F>
to_thread_awaiter<F> to_thread(F fn) {
  return to_thread_awaiter<F>(std::move(fn));
}

/// asyncio.Event: wait() suspends until set(). Loop thread only.
class event {
 public:
  bool is_set() const noexcept { return set_; }
  void set() noexcept;
  auto wait() noexcept {
    struct awaiter {
      event& e;
      bool await_ready() const noexcept { return e.set_; }
      void await_suspend(std::coroutine_handle<> h) { e.waiters_.push_back(h); }
      void await_resume() const noexcept {}
    };
    return awaiter{*this};
  }

 private:
  bool set_ = false;
  std::vector<std::coroutine_handle<>> waiters_;
};

}  // namespace ccbench::loop
