// ccbench's own event loop: one thread, C++20 coroutines, an asyncio analogue.
// Ready queue for zero-delay resumption, timers (timer_heap.hpp: FIFO runs and
// a heap), epoll with an eventfd for wake-ups from other threads, and a thread
// pool behind to_thread().
//
// The asyncio toolkit, by asyncio name:
//   asyncio.run              event_loop::run(main)
//   asyncio.create_task      create_task(t) -> task_handle<T> (await it for the result)
//   (fire and forget)        event_loop::spawn(t)
//   asyncio.sleep            sleep_for(d), sleep_until(t), yield()
//   asyncio.to_thread        to_thread(fn)
//   asyncio.Event            event
//   Task.cancel              task_handle::cancel() -> cancelled_error (cancellation.hpp)
//   asyncio.gather           gather(tasks...)                        (task_group.hpp)
//   asyncio.TaskGroup        with_task_group([&](task_group& tg) -> task<void> {...})
//   asyncio.timeout/wait_for timeout(d, t) -> timeout_error
//   asyncio.Semaphore        semaphore                               (semaphore.hpp)
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

#include "harness/clock.hpp"
#include "harness/thread_pool.hpp"
#include "models/loop/cancellation.hpp"
#include "models/loop/task.hpp"
#include "models/loop/timer_heap.hpp"

namespace ccbench::loop {

// The harness's clock: steady_clock's time points, read from the TSC where the
// machine allows (harness/clock.hpp). The loop's own readings (one a turn, to
// fire timers) are then also the thread's clock::last().
using clock = ccbench::clock;

namespace detail {

/// Work handed to the offload pool; lives in the awaiting coroutine's frame.
/// The pool runs execute(), then the loop resumes `waiter`.
struct offload_job : lazy_thread_pool::job {
  /// Runs on a pool thread. Must not throw.
  virtual void execute() noexcept = 0;
  std::coroutine_handle<> waiter;
  event_loop* loop = nullptr;

 protected:
  ~offload_job() = default;

 private:
  void run() noexcept final;
};

template <class T>
T take_result(task_state& s);

/// A descriptor in the loop's epoll (edge-triggered), and the coroutine waiting
/// for each direction. Lives as long as the registration (fd_watch).
struct fd_waiters {
  std::coroutine_handle<> reader, writer;
};

}  // namespace detail

template <class T>
class task_handle;

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

  /// asyncio.run: runs `main` as a task on the calling thread until it
  /// finishes; then, like asyncio.run, cancels the tasks still running and runs
  /// until they have ended. Returns main's value or rethrows its exception; an
  /// exception that escaped a task nobody awaited is rethrown first. Throws
  /// std::logic_error when every task waits on something that can never happen.
  template <class T>
  T run(task<T> main);

  /// asyncio.create_task / loop.create_task: `t` starts soon (after what is
  /// ready now, FIFO) and runs on its own; the handle awaits or cancels it.
  /// Dropping the handle detaches the task.
  template <class T>
  [[nodiscard]] task_handle<T> create_task(task<T> t);

  /// create_task without a handle: fire and forget. An exception escaping `t`
  /// is kept and rethrown by run().
  template <class T>
  void spawn(task<T> t) {
    (void)create_task(std::move(t));
  }

  /// Resumes `h` on the loop thread soon, after what is ready now (FIFO).
  void schedule(std::coroutine_handle<> h) noexcept;

  /// Any thread: resumes `h` on the loop thread, waking the loop if it waits.
  void post(std::coroutine_handle<> h) noexcept;

  void arm(timer_node& node) noexcept { timers_.push(node); }
  /// Cancels `node`'s timer if it is still armed.
  void disarm(timer_node& node) noexcept { timers_.cancel(node); }
  /// Whether `node` is armed (its timer has neither fired nor been disarmed).
  bool armed(const timer_node& node) const noexcept { return timers_.armed(node); }

  /// An operation outside the loop (another thread, a process) will resume a
  /// coroutine later with complete_external(). Until then the loop knows it
  /// can still be woken, and does not end the run as waiting on nothing.
  /// Loop thread.
  void begin_external() noexcept { offloads_in_flight_.fetch_add(1, std::memory_order_acq_rel); }
  /// Any thread: the operation begun with begin_external() ended; resumes `h`
  /// on the loop thread (as post() does). Touch nothing of the awaiting frame
  /// after this: the loop may resume and free it at once.
  void complete_external(std::coroutine_handle<> h) noexcept { finish_offload(h); }

  /// Adds `fd` to the loop's epoll, edge-triggered for both directions; events
  /// resume `w`'s waiters. Throws std::system_error. (fd_watch, socket.hpp.)
  void watch(int fd, detail::fd_waiters& w);
  /// Removes `fd` (its waiters must be gone).
  void unwatch(int fd) noexcept;
  /// A coroutine now waits on a watched descriptor (wait_fd's awaiter), or has
  /// stopped waiting without an event (cancelled). While any waits, the loop
  /// polls its epoll every turn and never ends the run as waiting on nothing.
  void fd_wait_begin() noexcept { ++fd_waiting_; }
  void fd_wait_end() noexcept { --fd_waiting_; }

  /// Hands `job` to the offload pool; the pool posts job->waiter when done.
  void offload(detail::offload_job& job);
  /// Threads to_thread() may use.
  int offload_threads() const noexcept { return offload_limit_; }

  /// The loop running on this thread, or nullptr.
  static event_loop* current() noexcept { return running_; }

  /// Number of timers armed right now.
  std::size_t pending_timers() const noexcept { return timers_.size(); }
  /// Tasks created and not yet finished (asyncio.all_tasks).
  std::size_t task_count() const noexcept { return task_count_; }

 private:
  friend struct detail::task_state;
  // Makes the task_state before `frame` a task, registers it and queues its start.
  detail::task_state& start_task(void* frame, detail::promise_base& p) noexcept;
  void forget(detail::task_state& s) noexcept;
  void report_unhandled(std::exception_ptr e) noexcept;
  void run_until_done(detail::task_state& main);
  template <class Done>
  void turn_until(Done done);
  void rethrow_unhandled();
  void fire_timers(std::int64_t now_ns) noexcept;
  void take_posted() noexcept;
  void wait_for_events(std::int64_t timeout_ns);
  void finish_offload(std::coroutine_handle<> h) noexcept;

  // Ready queue: a ring buffer of frame addresses (power-of-two capacity),
  // left uninitialized: a vector of handles would zero every slot it grows
  // into (skynet queues a million).
  // An entry is a frame to resume, or a task_state with start_tag set: a task
  // to start (frames and states are at least 16-byte aligned).
  std::unique_ptr<void*[]> ready_;
  std::size_t ready_mask_ = 0;
  std::size_t head_ = 0, count_ = 0;
  static constexpr std::uintptr_t start_tag = 1;
  void push_ready(std::coroutine_handle<> h) noexcept;
  void push_ready_raw(void* entry) noexcept;
  // Takes the first entry and resumes or starts it.
  void run_ready() noexcept;

  timer_heap timers_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;

  std::mutex posted_mutex_;
  std::vector<std::coroutine_handle<>> posted_;
  std::vector<std::coroutine_handle<>> posted_spare_;
  std::atomic<bool> has_posted_{false};
  std::atomic<std::int64_t> offloads_in_flight_{0};
  std::size_t fd_waiting_ = 0;  // coroutines suspended on a watched descriptor

  int offload_limit_;
  std::unique_ptr<lazy_thread_pool> pool_;
  std::exception_ptr unhandled_;
  detail::task_state* tasks_ = nullptr;  // unfinished tasks, for run()'s clean-up
  std::size_t task_count_ = 0;

  // Inline (a plain TLS load): every awaiter asks for it.
  static inline thread_local event_loop* running_ = nullptr;
};

/// asyncio.Task: a reference to a running task. Awaiting it waits for the task
/// to end and yields its value (moved out: await a task once for its value) or
/// rethrows its exception. If the awaiting task is cancelled meanwhile, the
/// cancellation is passed on to this task, and the awaiter gets cancelled_error
/// once it has ended. Copyable; must not outlive its loop. Loop thread only.
template <class T>
class task_handle {
 public:
  task_handle() noexcept = default;
  task_handle(const task_handle& o) noexcept : s_(o.s_) {
    if (s_ != nullptr) s_->add_ref();
  }
  task_handle(task_handle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  task_handle& operator=(task_handle o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~task_handle() {
    if (s_ != nullptr) s_->release();
  }

  bool valid() const noexcept { return s_ != nullptr; }
  /// Task.done: finished, with a value, an exception or cancelled.
  bool done() const noexcept { return s_->done; }
  /// Task.cancelled: finished by cancelled_error.
  bool cancelled() const noexcept { return s_->done && s_->cancelled; }
  /// Task.cancel: asks the task to stop; it gets cancelled_error at its current
  /// suspension point (or, if it has not started yet, never runs). False when it
  /// has already finished.
  bool cancel() noexcept { return s_->cancel(); }

  auto operator co_await() const noexcept;

 private:
  friend class event_loop;
  friend class detail::task_scope;
  explicit task_handle(detail::task_state& s) noexcept : s_(&s) { s.add_ref(); }
  detail::task_state* s_ = nullptr;
};

/// asyncio.create_task: create_task on the loop running this thread.
template <class T>
[[nodiscard]] task_handle<T> create_task(task<T> t) {
  return event_loop::current()->create_task(std::move(t));
}

namespace detail {

template <class T>
T take_result(task_state& s) {
  s.retrieved = true;
  return static_cast<promise<T>&>(*s.body_promise).take();
}

/// Awaiting a task_handle.
template <class T>
class join_awaiter final : private cancel_hook {
 public:
  explicit join_awaiter(task_state& s) noexcept : s_(s) {}
  join_awaiter(const join_awaiter&) = delete;
  bool await_ready() const noexcept { return s_.done; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!point_.enter(h, this)) return false;
    node_.waiter = h;
    node_.next = s_.joiners;
    s_.joiners = &node_;
    return true;
  }
  T await_resume() {
    point_.leave();
    return take_result<T>(s_);
  }

 private:
  // Passed on; this coroutine resumes when the awaited task has ended.
  void cancel() noexcept override { s_.cancel(); }
  task_state& s_;
  join_node node_;
  cancel_point point_;
};

}  // namespace detail

template <class T>
auto task_handle<T>::operator co_await() const noexcept {
  return detail::join_awaiter<T>(*s_);
}

template <class T>
task_handle<T> event_loop::create_task(task<T> t) {
  detail::task_state& s = start_task(t.handle().address(), t.handle().promise());
  (void)t.release();  // the task now owns the frame
  return task_handle<T>(s);
}

template <class T>
T event_loop::run(task<T> main) {
  task_handle<T> h = create_task(std::move(main));
  run_until_done(*h.s_);
  rethrow_unhandled();
  return detail::take_result<T>(*h.s_);
}

// ---- awaitables ------------------------------------------------------------

/// asyncio.sleep until an absolute time. A deadline already past still yields
/// once through the ready queue (never through a timer). Cancelled: the timer
/// is disarmed and cancelled_error thrown at once.
class sleep_until_awaiter final : private detail::cancel_hook {
 public:
  explicit sleep_until_awaiter(clock::time_point deadline) noexcept
      : deadline_ns_(deadline.time_since_epoch().count()) {}
  sleep_until_awaiter(const sleep_until_awaiter&) = delete;
  ~sleep_until_awaiter() {
    if (loop_ != nullptr && loop_->armed(node_)) loop_->disarm(node_);  // destroyed while sleeping
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    loop_ = event_loop::current();
    if (!point_.enter(h, this)) return false;
    if (past_ == when::unknown) {
      past_ = deadline_ns_ <= clock::now().time_since_epoch().count() ? when::past : when::future;
    }
    if (past_ == when::past) {
      loop_->schedule(h);
      return true;
    }
    node_.deadline_ns = deadline_ns_;
    node_.handle = h;
    loop_->arm(node_);
    return true;
  }
  void await_resume() {
    // Resumed: the timer fired, or cancel() disarmed it, or none was armed.
    // Nothing is left for the destructor to disarm.
    loop_ = nullptr;
    point_.leave();
  }

 private:
  template <class Rep, class Period>
  friend sleep_until_awaiter sleep_for(std::chrono::duration<Rep, Period> d,
                                       clock::time_point from) noexcept;
  // sleep_for knows which it is when it computes the deadline, which spares
  // await_suspend a second clock read.
  enum class when : std::uint8_t { unknown, past, future };
  sleep_until_awaiter(std::int64_t deadline_ns, when w) noexcept
      : deadline_ns_(deadline_ns), past_(w) {}

  void cancel() noexcept override {
    if (!loop_->armed(node_)) return;  // already due: it resumes anyway, and throws
    loop_->disarm(node_);
    loop_->schedule(node_.handle);
  }
  std::int64_t deadline_ns_;
  when past_ = when::unknown;
  event_loop* loop_ = nullptr;
  timer_node node_;
  detail::cancel_point point_;
};

inline sleep_until_awaiter sleep_until(clock::time_point deadline) noexcept {
  return sleep_until_awaiter(deadline);
}
/// sleep_for(d) counted from `from`, a clock reading the caller has just taken
/// (it spares a clock read, ~16 ns): sleeps until from + d. d <= 0 is a yield;
/// otherwise a timer is armed even if from + d has passed by now (it then
/// fires when the loop next looks at its timers, after what is ready now).
template <class Rep, class Period>
sleep_until_awaiter sleep_for(std::chrono::duration<Rep, Period> d,
                              clock::time_point from) noexcept {
  const auto ns = std::chrono::duration_cast<clock::duration>(d);
  if (ns.count() <= 0) return {0, sleep_until_awaiter::when::past};
  return {(from + ns).time_since_epoch().count(), sleep_until_awaiter::when::future};
}
/// asyncio.sleep(d). sleep_for(0ns) is a yield: the ready queue, not a timer.
template <class Rep, class Period>
sleep_until_awaiter sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
  // A yield reads no clock.
  return sleep_for(d, d.count() <= 0 ? clock::time_point{} : clock::now());
}

namespace detail {
struct yield_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!point.enter(h, nullptr)) return false;
    event_loop::current()->schedule(h);
    return true;
  }
  void await_resume() { point.leave(); }
  cancel_point point;
};
}  // namespace detail

/// asyncio.sleep(0): lets every other ready coroutine run first.
inline detail::yield_awaiter yield() noexcept { return {}; }

/// asyncio.to_thread: runs fn() on the loop's offload pool and resumes the
/// awaiting coroutine on the loop thread with its result (or exception).
/// Cancellation cannot interrupt a call that has started: the awaiter gets
/// cancelled_error when the call returns (its result is dropped), never
/// earlier, because fn may use the awaiting frame (captures by reference, the
/// result slot). A cancellation pending before the call starts skips it.
template <class F>
class to_thread_awaiter final : private detail::offload_job {
  using result_type = std::invoke_result_t<F&>;

 public:
  explicit to_thread_awaiter(F fn) : fn_(std::move(fn)) {}
  bool await_ready() const noexcept { return false; }
  // noinline, and nothing touches `this` after offload(): the pool may resume
  // (and free) this frame before offload() returns (llvm/llvm-project#56301).
  template <class P>
  [[gnu::noinline]] bool await_suspend(std::coroutine_handle<P> h) {
    if (!point_.enter(h, nullptr)) return false;
    waiter = h;
    event_loop::current()->offload(*this);
    return true;
  }
  result_type await_resume() {
    point_.leave();
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<result_type>) return std::move(*result_);
  }

 private:
  void execute() noexcept override {
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
  detail::cancel_point point_;
};

template <class F>
to_thread_awaiter<F> to_thread(F fn) {
  return to_thread_awaiter<F>(std::move(fn));
}

/// asyncio.Event: wait() suspends until set(). A cancelled waiter leaves the
/// queue and gets cancelled_error. Loop thread only.
class event {
  class waiter;

 public:
  event() = default;
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  bool is_set() const noexcept { return set_; }
  void set() noexcept;
  void clear() noexcept { set_ = false; }
  waiter wait() noexcept;

 private:
  class waiter final : private detail::cancel_hook {
   public:
    explicit waiter(event& e) noexcept : e_(e) {}
    waiter(const waiter&) = delete;
    ~waiter() {
      if (queued_) e_.remove(*this);  // frame destroyed while waiting
    }
    bool await_ready() const noexcept { return e_.set_; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      if (!point_.enter(h, this)) return false;
      h_ = h;
      e_.waiters_.push_back(this);
      queued_ = true;
      return true;
    }
    void await_resume() { point_.leave(); }

   private:
    friend class event;
    void cancel() noexcept override {
      if (!queued_) return;
      e_.remove(*this);
      event_loop::current()->schedule(h_);
    }
    event& e_;
    std::coroutine_handle<> h_;
    bool queued_ = false;
    detail::cancel_point point_;
  };
  void remove(waiter& w) noexcept;

  bool set_ = false;
  std::vector<waiter*> waiters_;
};

inline event::waiter event::wait() noexcept { return waiter(*this); }

}  // namespace ccbench::loop
