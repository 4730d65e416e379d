// The fiber model's net idiom (models/fiber/fiber_model.cpp), in a header so
// that ccbench-micro's BM_fiber_net prices the same code: an epoll inside the
// fiber scheduler (net_poller, and the one-thread scheduler algorithm
// stamped_round_robin that waits in it), a non-blocking connect and a round
// trip of the delay protocol that suspend the calling fiber (never its
// thread) while they wait.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/context.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "harness/clock.hpp"
#include "harness/net_protocol.hpp"

namespace ccbench::fibernet {

namespace fibers = boost::fibers;

/// One connection to the delay server: a non-blocking socket, registered with
/// the poller's epoll at its first wait.
struct connection {
  int fd = -1;
  bool registered = false;  // with the epoll (at its first wait)
  // The fiber waiting on it (net_poller), taken by the thread that sees it
  // ready: exactly one wake-up per wait.
  std::atomic<fibers::context*> waiter{nullptr};
  ~connection() {
    if (fd >= 0) ::close(fd);
  }
};

// Net steps: an epoll inside the fiber scheduler. Boost.Fiber has no I/O of
// its own. A fiber that waits on a socket arms it in the run's epoll
// (EPOLLONESHOT, re-armed per wait) and suspends; its thread runs other
// fibers. A scheduler thread with nothing ready waits in that epoll (its
// algorithm's suspend_until) instead of on a condition variable; the epoll
// also holds an eventfd that the algorithm's notify() writes. While fibers
// keep a thread busy, its dispatcher looks without blocking at its turn
// (once a pass of the ready queue on one thread, every 16th pick with
// shared_queue), and only while a socket wait is pending: a run without net
// steps has no poller (a null test per pick), and one with no wait pending
// pays one load of a counter there.
//
// Several threads share one poller (fiber_model.cpp's shared_queue): one at
// a time holds the right to wait in or look at the epoll (try_poll/
// end_poll), and the fibers it finds ready go to their schedulers as any
// wake-up does. Call harvest() only from a scheduler's dispatcher fiber
// (suspend_until, or pick_next when the dispatcher runs it): never from the
// fiber that is suspending, which may be one of those it would wake.
class net_poller {
 public:
  net_poller() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    if (epoll_ < 0 || wake_ < 0 || epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev) != 0) {
      close_fds();
      throw std::runtime_error("fiber net poller: cannot make its epoll");
    }
  }
  ~net_poller() { close_fds(); }
  net_poller(const net_poller&) = delete;
  net_poller& operator=(const net_poller&) = delete;

  /// Suspends the calling fiber until `c` is ready for `events` (EPOLLIN or
  /// EPOLLOUT), has failed or hung up. Its scheduler must be one that polls
  /// this poller (stamped_round_robin, shared_queue).
  void wait(connection& c, std::uint32_t events) {
    fibers::context* self = fibers::context::active();
    c.waiter.store(self, std::memory_order_release);
    waiting_.fetch_add(1);
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT | EPOLLRDHUP;
    ev.data.ptr = &c;
    if (epoll_ctl(epoll_, c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      c.waiter.store(nullptr);
      waiting_.fetch_sub(1);
      throw std::runtime_error("fiber net poller: epoll_ctl failed");
    }
    c.registered = true;
    // Another thread may see it ready and schedule this fiber before it has
    // suspended: the wake-up then waits in this thread's remote-ready queue,
    // which its dispatcher reads only after this fiber has switched away.
    self->suspend();
  }

  /// Fibers suspended in wait() that no one has woken yet.
  bool pending() const noexcept { return waiting_.load(std::memory_order_relaxed) != 0; }

  /// The right to wait in or look at the epoll (several scheduler threads).
  bool try_poll() noexcept { return !polling_.exchange(true); }
  void end_poll() noexcept { polling_.store(false); }

  /// Waits up to `timeout_ns` (< 0: no limit; 0: only looks) for the sockets
  /// fibers wait on, or for wake(), and schedules each fiber whose socket is
  /// ready. Call it from a dispatcher fiber (see the class comment).
  void harvest(std::int64_t timeout_ns) noexcept {
    constexpr int max_events = 64;
    epoll_event events[max_events];
    int n;
    if (timeout_ns <= 0) {
      n = epoll_wait(epoll_, events, max_events, timeout_ns < 0 ? -1 : 0);
    } else {
      // epoll_pwait2 takes nanoseconds (as the loop model's wait does).
      const timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
                        static_cast<long>(timeout_ns % 1'000'000'000)};
      n = epoll_pwait2(epoll_, events, max_events, &ts, nullptr);
      if (n < 0 && errno == ENOSYS) {
        n = epoll_wait(epoll_, events, max_events,
                       static_cast<int>((timeout_ns + 999'999) / 1'000'000));
      }
    }
    if (n <= 0) return;  // a timeout, or EINTR
    fibers::context* self = fibers::context::active();
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<connection*>(events[i].data.ptr);
      if (c == nullptr) {
        std::uint64_t value;
        [[maybe_unused]] const ssize_t r = ::read(wake_, &value, sizeof value);
        continue;
      }
      // EPOLLONESHOT: one event per armed wait. The connection is not
      // touched after its fiber is scheduled (it may run, and end, at once).
      if (fibers::context* f = c->waiter.exchange(nullptr, std::memory_order_acq_rel)) {
        waiting_.fetch_sub(1);
        self->schedule(f);
      }
    }
  }

  /// harvest() until `deadline` (Boost.Fiber's steady_clock).
  void harvest_until(const std::chrono::steady_clock::time_point& deadline) noexcept {
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      harvest(-1);
    } else {
      const auto left = deadline - std::chrono::steady_clock::now();
      harvest(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count()));
    }
  }

  /// Ends a harvest() that waits (from any thread).
  void wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof one);
  }

 private:
  void close_fds() noexcept {
    if (epoll_ >= 0) ::close(epoll_);
    if (wake_ >= 0) ::close(wake_);
  }
  int epoll_ = -1, wake_ = -1;
  std::atomic<int> waiting_{0};
  std::atomic<bool> polling_{false};
};

/// A scheduler thread's idle wait: on a condition variable, or in a
/// net_poller's epoll; notify() ends either (the eventfd only when the thread
/// is in the epoll, so a notify costs no write otherwise).
class idle_wait {
 public:
  void on_cv(const std::chrono::steady_clock::time_point& deadline) noexcept {
    std::unique_lock lock(mutex_);
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      cv_.wait(lock, [this] { return woken_; });
    } else {
      cv_.wait_until(lock, deadline, [this] { return woken_; });
    }
    woken_ = false;
  }
  // Announce, then look: a notify() before the look is seen by it, and one
  // after it sees in_epoll_ and writes the eventfd.
  void in_epoll(net_poller& poller,
                const std::chrono::steady_clock::time_point& deadline) noexcept {
    in_epoll_.store(true);
    bool woken;
    {
      std::lock_guard lock(mutex_);
      woken = std::exchange(woken_, false);
    }
    if (!woken) poller.harvest_until(deadline);
    in_epoll_.store(false);
    std::lock_guard lock(mutex_);
    woken_ = false;
  }
  void notify(net_poller* poller) noexcept {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    cv_.notify_all();
    if (poller != nullptr && in_epoll_.load()) poller->wake();
  }
  bool waits_in_epoll() const noexcept { return in_epoll_.load(); }

 private:
  std::mutex mutex_;  // guards woken_
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> in_epoll_{false};
};

// The fiber model's scheduler on one thread: Boost's round_robin, which also
// reads the harness's clock each time the thread wakes from an idle wait. A
// fiber resuming after a wait then takes the thread's last reading as its
// segment's start (clock::last(), as the loop's tasks do): since that reading
// the thread only ran other fibers, whose segments stamp as they end, and its
// scheduler, whose work the segment then counts; never an idle wait. One read
// a wake-up instead of one a task.
//
// With a net_poller (a run with net steps) the idle wait is in the poller's
// epoll, and the dispatcher's turn looks at it without blocking while fibers
// are ready and a socket wait is pending. Without one it is round_robin's
// condition variable, as before.
class stamped_round_robin final : public fibers::algo::round_robin {
 public:
  explicit stamped_round_robin(net_poller* poller = nullptr) noexcept : poller_(poller) {}

  fibers::context* pick_next() noexcept override {
    if (poller_ != nullptr && poller_->pending() && has_ready_fibers() &&
        fibers::context::active()->is_context(fibers::type::dispatcher_context)) {
      poller_->harvest(0);
    }
    return round_robin::pick_next();
  }
  void suspend_until(const std::chrono::steady_clock::time_point& deadline) noexcept override {
    if (poller_ == nullptr) {
      round_robin::suspend_until(deadline);
    } else {
      idle_.in_epoll(*poller_, deadline);
    }
    clock::now();
  }
  void notify() noexcept override {
    if (poller_ == nullptr) {
      round_robin::notify();
    } else {
      idle_.notify(poller_);
    }
  }

 private:
  net_poller* const poller_;
  idle_wait idle_;
};

/// A non-blocking connect to `to`; while it is in progress the calling fiber
/// waits in `poller`. TCP_NODELAY. nullptr when it cannot connect, with
/// the error in `err` (no exception: see connect()).
inline std::unique_ptr<connection> try_connect(net_poller& poller, const net::endpoint& to,
                                               int& err) {
  auto c = std::make_unique<connection>();
  c->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (c->fd < 0) {
    err = errno;
    return nullptr;
  }
  err = 0;
  if (::connect(c->fd, reinterpret_cast<const sockaddr*>(&to.addr), sizeof to.addr) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      poller.wait(*c, EPOLLOUT);
      socklen_t len = sizeof err;
      if (::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
  }
  if (err != 0) return nullptr;
  const int one = 1;
  ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

/// try_connect(), throwing std::runtime_error naming the address when it
/// cannot connect.
inline std::unique_ptr<connection> connect(net_poller& poller, const net::endpoint& to) {
  int err = 0;
  std::unique_ptr<connection> c = try_connect(poller, to, err);
  if (!c) {
    throw std::runtime_error("cannot connect to the delay server at " + to.text() + ": " +
                             std::strerror(err));
  }
  return c;
}

/// One round trip of the delay protocol on `c`: sends `r`, reads and checks
/// the whole reply (the calling fiber waits in `poller`), returns its
/// payload's digest. Throws std::runtime_error naming `server` on a lost
/// connection, or saying what was wrong with the reply.
inline std::uint64_t round_trip(net_poller& poller, connection& c, const net::request& r,
                                const net::endpoint& server) {
  const auto req = net::encode(r);
  // 24 bytes on a connection with nothing in flight: they go out whole.
  if (::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    throw std::runtime_error("lost the connection to the delay server at " + server.text());
  }
  net::reply_reader reader(r);
  std::byte buf[4096];  // on the fiber's stack (the model's are 32 KiB)
  while (!reader.done()) {
    poller.wait(c, EPOLLIN);
    while (!reader.done()) {
      const std::span<std::byte> into = reader.next(buf);
      const ssize_t n = ::recv(c.fd, into.data(), into.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) {
        throw std::runtime_error("lost the connection to the delay server at " + server.text());
      }
      if (const net::trip_error e = reader.consume(into.first(static_cast<std::size_t>(n)));
          e != net::trip_error::none) {
        throw std::runtime_error(std::string(net::to_string(e)));
      }
    }
  }
  return reader.digest_value();
}

}  // namespace ccbench::fibernet
