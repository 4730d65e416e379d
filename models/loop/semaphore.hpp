// asyncio.Semaphore on the loop: at most N holders at once, waiters admitted
// first come, first served.
#pragma once

#include <coroutine>
#include <cstddef>
#include <utility>

#include "models/loop/event_loop.hpp"

namespace ccbench::loop {

/// asyncio.Semaphore(n). `auto permit = co_await sem.acquire();` is `async with
/// sem:`: the permit gives the slot back when it goes out of scope. A release
/// hands the slot straight to the longest waiter, so waiters are admitted in
/// FIFO order and nobody can overtake them; there are never more than N
/// holders. A waiter that is cancelled leaves the queue and gets
/// cancelled_error (if a slot was handed to it meanwhile, it is passed on).
/// acquire() does not suspend when a slot is free and nobody waits. Loop
/// thread only; must outlive its holders and waiters.
class semaphore {
 public:
  class permit;
  class acquire_awaiter;

  explicit semaphore(std::size_t slots) noexcept : available_(slots) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  /// Semaphore.acquire, giving a permit that releases on destruction.
  [[nodiscard]] acquire_awaiter acquire() noexcept;
  /// Semaphore.locked: no slot free right now.
  bool locked() const noexcept { return available_ == 0; }
  std::size_t available() const noexcept { return available_; }
  std::size_t waiting() const noexcept { return waiting_; }

 private:
  void release() noexcept;
  void enqueue(acquire_awaiter& w) noexcept;
  void unlink(acquire_awaiter& w) noexcept;

  std::size_t available_;
  std::size_t waiting_ = 0;
  acquire_awaiter* head_ = nullptr;
  acquire_awaiter* tail_ = nullptr;
};

/// One slot of a semaphore, given back on destruction or by release().
class [[nodiscard]] semaphore::permit {
 public:
  permit() noexcept = default;
  permit(permit&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  permit& operator=(permit&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~permit() { release(); }
  /// Semaphore.release; does nothing the second time.
  void release() noexcept {
    if (semaphore* s = std::exchange(s_, nullptr)) s->release();
  }
  bool held() const noexcept { return s_ != nullptr; }

 private:
  friend class semaphore::acquire_awaiter;
  explicit permit(semaphore& s) noexcept : s_(&s) {}
  semaphore* s_ = nullptr;
};

class semaphore::acquire_awaiter final : private detail::cancel_hook {
 public:
  explicit acquire_awaiter(semaphore& s) noexcept : s_(s) {}
  acquire_awaiter(const acquire_awaiter&) = delete;
  ~acquire_awaiter() {
    if (queued_) s_.unlink(*this);  // frame destroyed while waiting
  }
  bool await_ready() noexcept {
    if (s_.available_ == 0 || s_.head_ != nullptr) return false;
    --s_.available_;
    granted_ = true;
    return true;
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!point_.enter(h, this)) return false;
    loop_ = event_loop::current();
    h_ = h;
    s_.enqueue(*this);
    return true;
  }
  permit await_resume() {
    if (point_.consume()) {
      if (granted_) s_.release();  // handed over just before the cancellation: pass it on
      throw cancelled_error();
    }
    return permit(s_);
  }

 private:
  friend class semaphore;
  void cancel() noexcept override {
    if (!queued_) return;  // already granted: it resumes anyway and passes the slot on
    s_.unlink(*this);
    loop_->schedule(h_);
  }

  semaphore& s_;
  event_loop* loop_ = nullptr;
  std::coroutine_handle<> h_;
  acquire_awaiter* prev_ = nullptr;
  acquire_awaiter* next_ = nullptr;
  bool queued_ = false;
  bool granted_ = false;
  detail::cancel_point point_;
};

inline semaphore::acquire_awaiter semaphore::acquire() noexcept { return acquire_awaiter(*this); }

}  // namespace ccbench::loop
