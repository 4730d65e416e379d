// task<T>: a lazily started coroutine that resumes its awaiter by symmetric
// transfer when it finishes, so chains of awaits use no stack. It is asyncio's
// "coroutine object": calling the coroutine function runs nothing; awaiting the
// task (or handing it to create_task / spawn / event_loop::run) does.
#pragma once

#include <coroutine>
#include <cstdio>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace ccbench::loop {

template <class T = void>
class task;

namespace detail {

struct task_state;

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
  explicit promise_base(creation_site where) noexcept : site(where) {}

  // Who to resume when the body finishes: the awaiting coroutine, or the root
  // coroutine of the asyncio-style task it is the body of.
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;
  // The task (create_task, spawn, run) this coroutine runs in: awaiting a
  // task<T> passes it down, so cancel() can find the innermost suspension point.
  task_state* state = nullptr;
  // Set once the frame is handed to something that will run it.
  bool consumed = false;
  creation_site site;

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      return self.promise().continuation;  // symmetric transfer: a tail call at -O2
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
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
