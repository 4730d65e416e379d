// Sockets on the loop: a descriptor watched by its epoll (edge-triggered), and
// awaiting readiness, as asyncio's loop.sock_recv / sock_sendall do. The delay
// server (delay_server.hpp) and the loop model's `net` steps use it.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "harness/net_protocol.hpp"
#include "models/loop/event_loop.hpp"

namespace ccbench::loop {

/// A non-blocking descriptor registered with the current loop for its life
/// (owns the descriptor: closes it). Loop thread only.
class fd_watch {
 public:
  /// Registers `fd` (made non-blocking) with event_loop::current(); on
  /// failure closes it and throws std::system_error.
  explicit fd_watch(int fd);
  ~fd_watch();
  fd_watch(const fd_watch&) = delete;
  fd_watch& operator=(const fd_watch&) = delete;

  int fd() const noexcept { return fd_; }

  class awaiter;
  /// Suspends until the descriptor may be readable (or failed, or hung up).
  /// Edge-triggered: call only after a read said EAGAIN. Cancellable.
  awaiter readable() noexcept;
  /// The same for writing (after a write said EAGAIN, or a connect is in progress).
  awaiter writable() noexcept;

  class awaiter final : private detail::cancel_hook {
   public:
    awaiter(fd_watch& w, bool write) noexcept : w_(w), write_(write) {}
    awaiter(const awaiter&) = delete;
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      if (!point_.enter(h, this)) return false;
      slot() = h;
      w_.loop_->fd_wait_begin();
      return true;
    }
    void await_resume() { point_.leave(); }

   private:
    std::coroutine_handle<>& slot() noexcept {
      return write_ ? w_.waiters_.writer : w_.waiters_.reader;
    }
    void cancel() noexcept override {
      if (!slot()) return;  // already woken
      w_.loop_->fd_wait_end();
      w_.loop_->schedule(std::exchange(slot(), nullptr));
    }
    fd_watch& w_;
    bool write_;
    detail::cancel_point point_;
  };

 private:
  event_loop* loop_;
  int fd_;
  detail::fd_waiters waiters_;
};

inline fd_watch::awaiter fd_watch::readable() noexcept { return {*this, false}; }
inline fd_watch::awaiter fd_watch::writable() noexcept { return {*this, true}; }

/// Sends all of `bytes`, awaiting writability when the socket's buffer is
/// full. Throws std::runtime_error when the connection is lost.
task<void> send_all(fd_watch& s, std::span<const std::byte> bytes);
/// Reads exactly `out.size()` bytes. Returns false when the peer closed before
/// the first byte; throws std::runtime_error on a close mid-way or an error.
task<bool> recv_exact(fd_watch& s, std::span<std::byte> out);

/// A connected TCP socket to `to`, watched (non-blocking connect, awaited;
/// TCP_NODELAY). Throws std::runtime_error naming the address when it cannot
/// connect.
task<std::unique_ptr<fd_watch>> connect_tcp(const net::endpoint& to);

/// One round trip of the delay protocol on `s`: sends `r`, reads and checks the
/// whole reply, returns its payload's digest. Throws std::runtime_error on a
/// refusal, a malformed reply or a lost connection.
task<std::uint64_t> round_trip(fd_watch& s, const net::request& r);

}  // namespace ccbench::loop
