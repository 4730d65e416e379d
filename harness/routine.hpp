// routine<T>: the harness's own coroutine type, for models whose library has
// none (Boost.Fiber, the thread pool, worker processes). The driver's clients
// are coroutines (harness/driver.hpp); in such a model they are routines whose
// awaitables either finish before they return (a fiber sleep, a thread's
// sleep: the routine never suspends) or hand the routine to another thread (a
// pool's queue, a worker process's answer) which resumes it there.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace ccbench {

template <class T = void>
class routine;

namespace detail {

// What a routine that nobody awaits does when it ends: tells its starter.
using routine_exit = void (*)(void* arg, std::exception_ptr error) noexcept;

struct routine_promise_base {
  std::coroutine_handle<> continuation;  // the awaiting routine, if any
  routine_exit on_exit = nullptr;        // set by start_detached()
  void* exit_arg = nullptr;
  std::exception_ptr error;

  std::suspend_always initial_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      routine_promise_base& p = self.promise();
      // Symmetric transfer to the awaiter: a tail call, so that a routine
      // awaiting routines that finish at once (a fiber's) never grows the
      // stack. Nothing with a destructor may live here, or the call is no
      // longer the last thing this does (seen under ASan).
      if (p.continuation) return p.continuation;
      end_detached(self, p);
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  // Detached: the routine owns its frame. Tells the starter last, after the
  // frame is gone, so that it may end the run at once.
  [[gnu::noinline]] static void end_detached(std::coroutine_handle<> self,
                                             routine_promise_base& p) noexcept {
    const routine_exit on_exit = p.on_exit;
    void* const arg = p.exit_arg;
    std::exception_ptr error = std::move(p.error);
    self.destroy();
    if (on_exit != nullptr) on_exit(arg, std::move(error));
  }
  final_awaiter final_suspend() const noexcept { return {}; }
};

template <class T>
struct routine_promise : routine_promise_base {
  std::optional<T> value;
  routine<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct routine_promise<void> : routine_promise_base {
  routine<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

/// A lazily started coroutine. Await it from another routine (it resumes its
/// awaiter by symmetric transfer when it ends), or start it with
/// start_detached(). Owns its frame until then.
template <class T>
class [[nodiscard]] routine {
 public:
  using promise_type = detail::routine_promise<T>;
  using handle = std::coroutine_handle<promise_type>;

  routine(routine&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  routine& operator=(routine&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~routine() {
    if (h_) h_.destroy();
  }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle h;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) const noexcept {
        h.promise().continuation = awaiting;
        return h;  // start it by symmetric transfer
      }
      T await_resume() const { return h.promise().take(); }
    };
    return awaiter{h_};
  }

  /// Starts the routine on this thread; from then on it owns its frame. When
  /// it ends (here or on whichever thread resumed it last), on_exit(arg,
  /// error) runs there, with the exception that escaped it, if any.
  friend void start_detached(routine r, detail::routine_exit on_exit, void* arg) noexcept {
    const handle h = std::exchange(r.h_, {});
    h.promise().on_exit = on_exit;
    h.promise().exit_arg = arg;
    h.resume();
  }

 private:
  friend promise_type;
  explicit routine(handle h) noexcept : h_(h) {}
  handle h_;
};

namespace detail {
template <class T>
routine<T> routine_promise<T>::get_return_object() noexcept {
  return routine<T>(routine<T>::handle::from_promise(*this));
}
inline routine<void> routine_promise<void>::get_return_object() noexcept {
  return routine<void>(routine<void>::handle::from_promise(*this));
}
}  // namespace detail

/// An awaitable that has done its work by the time it is awaited (or does it
/// in await_ready): for models whose waits block the calling fiber or thread
/// rather than suspend a coroutine. `fn` runs when the routine awaits it; its
/// result (or exception) is the await's.
template <class F>
struct done_inline {
  F fn;
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  decltype(auto) await_resume() { return fn(); }
};
template <class F>
done_inline(F) -> done_inline<F>;

}  // namespace ccbench
