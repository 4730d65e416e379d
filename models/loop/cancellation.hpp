// Tasks and cancellation, the asyncio way. A task (create_task, spawn, run) is a
// small root coroutine that owns a body task<T>; task_state is its promise. A
// cancelled task gets cancelled_error thrown at the point where it is suspended:
// every awaiter of the loop records itself in the task's state while it waits
// (a cancel_hook), so cancel() can take the waiting coroutine off what it waits
// on (a timer, a semaphore queue...) and resume it with the error.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <type_traits>

#include "models/loop/task.hpp"

namespace ccbench::loop {

/// asyncio.CancelledError: thrown at the suspension point of a cancelled task.
/// Like Python's (a BaseException since 3.8), it does not derive from
/// std::exception, so `catch (const std::exception&)` does not swallow it; catch
/// it only to clean up, then rethrow.
class cancelled_error {
 public:
  const char* what() const noexcept { return "task cancelled"; }
};

/// asyncio.TimeoutError: timeout() gave up on what it was waiting for.
class timeout_error : public std::runtime_error {
 public:
  timeout_error() : std::runtime_error("timed out") {}
};

class event_loop;

namespace detail {

class task_scope;

/// The awaiter a task is suspended in, as cancel() sees it. Loop thread only.
struct cancel_hook {
  /// Stop waiting: take the awaiting coroutine off what it waits on and schedule
  /// it, or pass the cancellation on (to an awaited task), or do nothing when the
  /// wait cannot be interrupted (the coroutine then resumes when it ends). Must
  /// do nothing when the coroutine is already scheduled. Never resumes anything.
  virtual void cancel() noexcept = 0;

 protected:
  ~cancel_hook() = default;
};

/// A coroutine waiting for a task to end (awaiting its task_handle); lives in
/// the waiting frame.
struct join_node {
  join_node* next = nullptr;
  std::coroutine_handle<> waiter;
};

struct root;

/// The bookkeeping of one task: the promise of the root coroutine that runs the
/// body. The frame lives while the task runs or a task_handle (or scope) holds a
/// reference. Loop thread only.
struct task_state {
  event_loop* loop = nullptr;
  std::coroutine_handle<> body;  ///< owned; destroyed with this frame
  promise_base* body_promise = nullptr;
  cancel_hook* suspended_at = nullptr;  ///< the awaiter the task waits in, if cancellable
  join_node* joiners = nullptr;         ///< coroutines awaiting this task
  task_scope* scope = nullptr;          ///< the gather/task_group/timeout it belongs to
  std::size_t scope_index = 0;          ///< its place in the scope's list of live children
  task_state* prev = nullptr;           ///< the loop's list of unfinished tasks
  task_state* next = nullptr;
  std::uint32_t refs = 0;
  bool cancel_requested = false;  ///< cancel() was called and not yet delivered
  bool done = false;
  bool cancelled = false;  ///< done, and ended with cancelled_error
  bool retrieved = false;  ///< someone took the outcome (an exception nobody took goes to run())

  task_state() = default;
  task_state(const task_state&) = delete;
  task_state& operator=(const task_state&) = delete;
  ~task_state();

  /// asyncio.Task.cancel: false when already done.
  bool cancel() noexcept;
  void add_ref() noexcept { ++refs; }
  /// Drops a reference; frees the frame when done and unreferenced.
  void release() noexcept;

  // The root coroutine's promise interface.
  root get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    // false: nobody holds the task, so the frame is destroyed right here.
    bool await_suspend(std::coroutine_handle<task_state> self) const noexcept {
      return self.promise().finish();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() const noexcept { std::terminate(); }  // the root body cannot throw

 private:
  bool finish() noexcept;
  void report_unretrieved() noexcept;
};

struct root {
  using promise_type = task_state;
  std::coroutine_handle<task_state> handle;
};

/// The part of every loop awaiter that deals with cancellation: finds the task
/// the awaiting coroutine runs in, refuses to suspend when a cancellation is
/// already pending, and turns a cancellation into cancelled_error on resumption.
class cancel_point {
 public:
  /// In await_suspend, before suspending. Returns false when a cancellation is
  /// pending: do not suspend (await_resume then throws). `hook` (may be null:
  /// nothing to undo) is where cancel() will find this wait.
  template <class P>
  bool enter(std::coroutine_handle<P> h, cancel_hook* hook) noexcept {
    if constexpr (std::is_base_of_v<promise_base, P>) {
      state_ = h.promise().state;
      if (state_ != nullptr) {
        if (state_->cancel_requested) return false;
        state_->suspended_at = hook;
      }
    }
    return true;
  }
  /// In await_resume: true when the task was cancelled while it waited; the
  /// cancellation is then delivered (no longer pending).
  bool consume() noexcept {
    if (state_ == nullptr) return false;
    state_->suspended_at = nullptr;
    return std::exchange(state_->cancel_requested, false);
  }
  /// consume(), throwing cancelled_error when cancelled.
  void leave() {
    if (consume()) [[unlikely]]
      throw cancelled_error();
  }

 private:
  task_state* state_ = nullptr;
};

}  // namespace detail
}  // namespace ccbench::loop
