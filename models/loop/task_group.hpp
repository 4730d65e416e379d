// Structured concurrency on the loop: task_group (asyncio.TaskGroup), gather
// (asyncio.gather) and timeout (asyncio.timeout / wait_for). Each starts child
// tasks in a task_scope and waits until every one of them has ended, so no child
// outlives the call, whatever happens.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "models/loop/event_loop.hpp"

namespace ccbench::loop {

namespace detail {

/// Child tasks that their owner waits for. The first child to fail cancels the
/// others and its exception is kept for the owner to rethrow; later failures are
/// dropped. Whether a child ending with cancelled_error counts as a failure is
/// the owner's choice. Loop thread only.
class task_scope {
 public:
  explicit task_scope(bool cancellation_fails) noexcept : cancellation_fails_(cancellation_fails) {}
  ~task_scope();
  task_scope(const task_scope&) = delete;
  task_scope& operator=(const task_scope&) = delete;

  /// Adopts a task just created. A scope already cancelling its children
  /// cancels it at once (it then never starts).
  template <class T>
  void add(task_handle<T>& h) {
    add(*h.s_);
  }
  void cancel_all() noexcept;
  std::size_t live() const noexcept { return live_; }

  enum class wait_status { done, timed_out, cancelled };

  /// Waits until every child has ended (done), the deadline passes (timed_out;
  /// deadline_ns < 0: none), or the awaiting task is cancelled (cancelled: every
  /// child was cancelled and has ended, unless the cancellation was already
  /// pending when the wait began). Never throws.
  class wait_awaiter final : private cancel_hook {
   public:
    wait_awaiter(task_scope& s, std::int64_t deadline_ns) noexcept
        : scope_(s), deadline_ns_(deadline_ns) {}
    wait_awaiter(const wait_awaiter&) = delete;
    ~wait_awaiter() {
      if (loop_ != nullptr) loop_->disarm(node_);
    }
    bool await_ready() const noexcept { return scope_.live_ == 0; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      if (!point_.enter(h, this)) return false;
      loop_ = event_loop::current();
      h_ = h;
      scope_.waiter_ = this;
      if (deadline_ns_ >= 0) {
        node_.deadline_ns = deadline_ns_;
        node_.handle = h;
        loop_->arm(node_);
      }
      return true;
    }
    wait_status await_resume() noexcept;

   private:
    friend class task_scope;
    void cancel() noexcept override;
    void wake() noexcept;
    task_scope& scope_;
    std::int64_t deadline_ns_;
    event_loop* loop_ = nullptr;
    std::coroutine_handle<> h_;
    timer_node node_;
    cancel_point point_;
  };
  wait_awaiter wait(std::int64_t deadline_ns = -1) noexcept { return {*this, deadline_ns}; }

  /// Waits for every child; then throws cancelled_error if the awaiting task was
  /// cancelled meanwhile (every child cancelled and ended first), else rethrows
  /// the first failure.
  task<void> join();

  /// From task_state::finish.
  void task_done(task_state& s) noexcept;

  /// The value of a child that has ended, or its exception.
  template <class T>
  static auto take(task_handle<T>& h) {
    if constexpr (std::is_void_v<T>) {
      take_result<void>(*h.s_);
      return std::monostate{};
    } else {
      return take_result<T>(*h.s_);
    }
  }

 private:
  void add(task_state& s);

  std::vector<task_state*> children_;  // each holds a reference
  std::size_t live_ = 0;
  std::exception_ptr first_error_;
  const bool cancellation_fails_;
  bool cancelling_ = false;
  wait_awaiter* waiter_ = nullptr;
};

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

}  // namespace detail

/// asyncio.TaskGroup, the body of `async with asyncio.TaskGroup() as tg:`.
/// Tasks are added with create_task; with_task_group() runs the body and ends
/// only when every task of the group has ended.
class task_group {
 public:
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  /// TaskGroup.create_task: starts `t` soon as a task of this group. Keeping
  /// the handle is optional (await it for the value).
  template <class T>
  task_handle<T> create_task(task<T> t) {
    task_handle<T> h = event_loop::current()->create_task(std::move(t));
    scope_.add(h);
    return h;
  }

 private:
  template <class F>
  friend task<void> with_task_group(F body);
  task_group() noexcept : scope_(/*cancellation_fails=*/false) {}
  detail::task_scope scope_;
};

/// `async with asyncio.TaskGroup() as tg: body`. Runs `body(tg)` (a callable
/// returning task<void>, e.g. a coroutine lambda taking task_group&) as the
/// group's first task, and completes only when every task of the group has
/// ended. The first task to fail (the body included) cancels all the others;
/// once they have ended its exception is rethrown (asyncio raises an
/// ExceptionGroup of all failures; we rethrow the first and drop the rest).
/// A task ending with cancelled_error is not a failure. If the awaiting task is
/// cancelled, every task of the group is cancelled and awaited, then
/// cancelled_error is thrown. Tasks added to a group that is cancelling are
/// cancelled at once.
template <class F>
task<void> with_task_group(F body) {
  task_group tg;
  tg.create_task(body(tg));
  co_await tg.scope_.join();
}

/// asyncio.gather(*aws): runs the tasks concurrently and returns their results
/// in argument order (a void task gives std::monostate). The first task to
/// fail, with cancelled_error too, cancels the others; when they have all
/// ended, its exception is rethrown. (asyncio.gather leaves the others
/// running; we cancel them so that nothing outlives the call, as TaskGroup
/// does.) If the awaiting task is cancelled, all of them are cancelled and
/// awaited, then cancelled_error is thrown. The tasks start when the gather is
/// awaited, in order.
template <class... Ts>
task<std::tuple<detail::gathered_t<Ts>...>> gather(task<Ts>... tasks) {
  event_loop& loop = *event_loop::current();
  detail::task_scope scope(/*cancellation_fails=*/true);
  // Braced: the tasks are created, and so start, left to right.
  std::tuple<task_handle<Ts>...> handles{loop.create_task(std::move(tasks))...};
  std::apply([&scope](auto&... h) { (scope.add(h), ...); }, handles);
  co_await scope.join();
  co_return std::apply(
      [](auto&... h) {
        return std::tuple<detail::gathered_t<Ts>...>{detail::task_scope::take(h)...};
      },
      handles);
}

/// asyncio.gather(*list): the same for a list of tasks of one type; returns
/// the results in list order (nothing for void tasks).
template <class T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> gather(
    std::vector<task<T>> tasks) {
  event_loop& loop = *event_loop::current();
  detail::task_scope scope(/*cancellation_fails=*/true);
  std::vector<task_handle<T>> handles;
  handles.reserve(tasks.size());
  for (task<T>& t : tasks) {
    handles.push_back(loop.create_task(std::move(t)));
    scope.add(handles.back());
  }
  co_await scope.join();
  if constexpr (!std::is_void_v<T>) {
    std::vector<T> results;
    results.reserve(handles.size());
    for (task_handle<T>& h : handles) results.push_back(detail::task_scope::take(h));
    co_return results;
  }
}

/// asyncio.timeout(d) around an await, or asyncio.wait_for(aw, d): runs `t` as
/// a task; if it has not ended after `d`, cancels it (a sleep's timer is
/// disarmed, a semaphore wait leaves its queue...) and, once it has ended,
/// throws timeout_error. What `t` returns or throws otherwise passes through;
/// if `t` swallows the cancellation and returns, its value is returned, as
/// asyncio does. An operation that cannot be interrupted (to_thread) delays
/// the timeout_error until it returns. If the awaiting task is cancelled, `t`
/// is cancelled and awaited, then cancelled_error is thrown.
template <class T, class Rep, class Period>
task<T> timeout(std::chrono::duration<Rep, Period> d, task<T> t) {
  using wait_status = detail::task_scope::wait_status;
  const std::int64_t deadline_ns =
      (clock::now() + std::chrono::duration_cast<clock::duration>(d)).time_since_epoch().count();
  detail::task_scope scope(/*cancellation_fails=*/true);
  task_handle<T> child = event_loop::current()->create_task(std::move(t));
  scope.add(child);
  const wait_status first = co_await scope.wait(deadline_ns);
  bool cancelled = first == wait_status::cancelled;
  while (scope.live() > 0) {
    scope.cancel_all();
    if (co_await scope.wait() == wait_status::cancelled) cancelled = true;
  }
  if (cancelled) throw cancelled_error();
  if (first == wait_status::timed_out && child.cancelled()) throw timeout_error();
  co_return co_await child;
}

}  // namespace ccbench::loop
