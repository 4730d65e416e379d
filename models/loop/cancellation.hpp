// Tasks and cancellation, the asyncio way. A task (create_task, spawn, run) is a
// body task<T> with a task_state (task.hpp) in front of its frame. A
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

namespace detail {

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
