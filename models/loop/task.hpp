// task<T>: a lazily started coroutine that resumes its awaiter by symmetric
// transfer when it finishes, so chains of awaits use no stack. It is asyncio's
// "coroutine object": calling the coroutine function runs nothing; awaiting the
// task (or handing it to create_task / spawn / event_loop::run) does.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "models/loop/frame_pool.hpp"

namespace ccbench::loop {

template <class T = void>
class task;

class event_loop;

namespace detail {

struct cancel_hook;
struct join_node;
class task_scope;
struct promise_base;

/// The bookkeeping of one task (create_task, spawn, run). It lives just
/// before the frame of the task's body coroutine, in the same allocation
/// (every task<T> frame has room for one: see promise_base::operator new), so
/// a task is one allocation and its state shares cache lines with its frame.
/// The memory stays while the task runs or a task_handle (or a scope) holds a
/// reference: when the frame is destroyed before the last reference goes (the
/// loop's teardown), the state outlives it. Loop thread only.
struct task_state {
  event_loop* loop = nullptr;
  promise_base* body_promise = nullptr;  ///< the body's promise (in the frame after this)
  cancel_hook* suspended_at = nullptr;   ///< the awaiter the task waits in, if cancellable
  join_node* joiners = nullptr;          ///< coroutines awaiting this task
  task_scope* scope = nullptr;           ///< the gather/task_group/timeout it belongs to
  std::size_t scope_index = 0;           ///< its place in the scope's list of live children
  task_state* prev = nullptr;            ///< the loop's list of unfinished tasks
  task_state* next = nullptr;
  std::uint32_t refs = 0;
  std::uint32_t frame_size = 0;  ///< set when the frame went before the state
  bool spawned = false;          ///< this frame is the body of a task
  bool frame_gone = false;  ///< the frame was destroyed; the state waits for its last reference
  bool cancel_requested = false;  ///< cancel() was called and not yet delivered
  bool done = false;
  bool cancelled = false;  ///< done, and ended with cancelled_error
  bool retrieved = false;  ///< someone took the outcome (an exception nobody took goes to run())

  task_state() = default;
  task_state(const task_state&) = delete;
  task_state& operator=(const task_state&) = delete;

  /// asyncio.Task.cancel: false when already done.
  bool cancel() noexcept;
  void add_ref() noexcept { ++refs; }
  /// Drops a reference; frees the task (frame and state) when done and unreferenced.
  void release() noexcept;
  /// The body's frame, which follows the state.
  void* frame() noexcept;

  /// Starts the body, unless the task was cancelled before it began (as
  /// asyncio's Task does): it then ends with cancelled_error at once.
  void start() noexcept;
  /// The body has ended: records the outcome, wakes the awaiters, tells the
  /// scope. False when nobody holds the task, so the frame must go now.
  bool finish() noexcept;

 private:
  void report_unretrieved() noexcept;
};

/// Room before every task<T> frame for a task_state, keeping the frame at the
/// default new alignment.
inline constexpr std::size_t frame_prefix =
    (sizeof(task_state) + __STDCPP_DEFAULT_NEW_ALIGNMENT__ - 1) &
    ~(__STDCPP_DEFAULT_NEW_ALIGNMENT__ - 1);

inline task_state& state_before(void* frame) noexcept {
  return *std::launder(reinterpret_cast<task_state*>(static_cast<char*>(frame) - frame_prefix));
}

inline void* task_state::frame() noexcept { return reinterpret_cast<char*>(this) + frame_prefix; }

/// Where a coroutine was defined, filled in by the compiler at the call that
/// creates its frame (for the "never awaited" warning). A type of its own, so
/// that no coroutine parameter can ever be taken for it.
struct creation_site {
  const char* function;
  const char* file;
  unsigned line;
  static creation_site here(const char* function = __builtin_FUNCTION(),
                            const char* file = __builtin_FILE(),
                            unsigned line = __builtin_LINE()) noexcept {
    return {function, file, line};
  }
};

/// asyncio prints "coroutine ... was never awaited"; so do debug builds.
inline void warn_never_awaited(const creation_site& site) noexcept {
  std::fprintf(stderr,
               "ccbench::loop: warning: task '%s' (%s:%u) was created but never awaited or "
               "spawned, so it never ran (asyncio: \"coroutine was never awaited\")\n",
               site.function, site.file, site.line);
}

struct promise_base {
#ifndef NDEBUG
  explicit promise_base(creation_site where) noexcept : site(where) {}
#else
  explicit promise_base(creation_site) noexcept {}
#endif

  // Who to resume when the body finishes: the awaiting coroutine (unused for
  // the body of a task, which reports to its task_state instead).
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;
  // The task (create_task, spawn, run) this coroutine runs in: awaiting a
  // task<T> passes it down, so cancel() can find the innermost suspension point.
  task_state* state = nullptr;
  // Set once the frame is handed to something that will run it.
  bool consumed = false;
  // This coroutine is the body of `state`'s task, not awaited by another.
  bool root = false;
#ifndef NDEBUG
  // Only the debug build's warning reads it: release frames stay 24 bytes
  // smaller (and a frame is created per task).
  creation_site site;
#endif

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      promise_base& p = self.promise();
      if (p.root) {
        // A task's body: report to the task. Destroying the frame from its
        // own final suspension is allowed; nothing touches it afterwards.
        if (!p.state->finish()) self.destroy();
        return std::noop_coroutine();
      }
      return p.continuation;  // symmetric transfer: a tail call at -O2
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  // Frames come from the loop's frame pool (frame_pool.hpp), each behind room
  // for a task_state; the compiler passes the frame size to both.
  static void* operator new(std::size_t size) {
    char* const block = static_cast<char*>(frame_pool::allocate(frame_prefix + size));
    ::new (block) task_state();
    return block + frame_prefix;
  }
  static void operator delete(void* frame, std::size_t size) noexcept {
    task_state& s = state_before(frame);
    if (s.spawned && s.refs > 0) {
      // A reference outlives the frame (the loop tore the task down): the
      // state stays until release() frees the block.
      s.frame_size = static_cast<std::uint32_t>(size);
      s.frame_gone = true;
      return;
    }
    frame_pool::deallocate(&s, frame_prefix + size);
  }
};

template <class T>
struct promise : promise_base {
  promise(creation_site where = creation_site::here()) noexcept : promise_base(where) {}
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct promise<void> : promise_base {
  promise(creation_site where = creation_site::here()) noexcept : promise_base(where) {}
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

/// A coroutine returning T. Nothing runs until it is awaited (or handed to
/// event_loop::run / create_task / spawn); awaiting it runs it to completion, in
/// the awaiting task, and yields its value or rethrows its exception. Owns its
/// frame: destroying an unstarted or finished task frees it; in debug builds
/// destroying one that never ran warns on stderr. Move-only.
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  auto operator co_await() && noexcept;

  /// The frame, still owned by this task. For the loop's own machinery.
  handle_type handle() const noexcept { return h_; }
  /// Gives up ownership of the frame.
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  void reset() noexcept {
    if (!h_) return;
#ifndef NDEBUG
    if (!h_.promise().consumed) detail::warn_never_awaited(h_.promise().site);
#endif
    h_.destroy();
    h_ = {};
  }

  handle_type h_;
};

namespace detail {

template <class T>
struct task_awaiter {
  std::coroutine_handle<promise<T>> h;
  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> awaiting) const noexcept {
    promise<T>& p = h.promise();
    p.continuation = awaiting;
    p.consumed = true;
    if constexpr (std::is_base_of_v<promise_base, P>) p.state = awaiting.promise().state;
    return h;  // start the task by symmetric transfer
  }
  T await_resume() const { return h.promise().take(); }
};

template <class T>
task<T> promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}
inline task<void> promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<promise<void>>::from_promise(*this));
}
}  // namespace detail

template <class T>
auto task<T>::operator co_await() && noexcept {
  return detail::task_awaiter<T>{h_};
}

}  // namespace ccbench::loop
