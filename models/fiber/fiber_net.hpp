// The fiber model's net idiom (models/fiber/fiber_model.cpp), in a header so
// that ccbench-micro's BM_fiber_net prices the same code: a fiber-aware
// reactor, a non-blocking connect and a round trip of the delay protocol that
// suspend the calling fiber (never its thread) while they wait.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/mutex.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include "harness/net_protocol.hpp"

namespace ccbench::fibernet {

namespace fibers = boost::fibers;

// Net steps: a fiber-aware reactor. Boost.Fiber has no I/O of its own, so a
// thread of the run's own waits on an epoll for the sockets fibers wait on,
// and wakes each waiting fiber through a fiber condition variable; the
// fiber's scheduler thread runs other fibers meanwhile, and never blocks in
// a recv. (The other design, an epoll inside the scheduler algorithm's
// suspend_until, would save the hop through this thread: not done yet.)
// Each connection is registered once, EPOLLONESHOT, re-armed per wait.
class fiber_reactor {
 public:
  struct connection {
    int fd = -1;
    fibers::mutex mutex;
    fibers::condition_variable changed;
    bool ready = false;
    bool registered = false;  // with the reactor's epoll (at its first wait)
    ~connection() {
      if (fd >= 0) ::close(fd);
    }
  };

  fiber_reactor() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_ < 0 || wake_ < 0) {
      close_fds();
      throw std::runtime_error("fiber reactor: cannot make its epoll");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { run(); });
  }
  ~fiber_reactor() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof one);
    thread_.join();
    close_fds();
  }
  fiber_reactor(const fiber_reactor&) = delete;
  fiber_reactor& operator=(const fiber_reactor&) = delete;

  /// Suspends the calling fiber until `c` is ready for `events` (EPOLLIN or
  /// EPOLLOUT), has failed or hung up.
  void wait(connection& c, std::uint32_t events) {
    std::unique_lock lock(c.mutex);
    c.ready = false;
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT | EPOLLRDHUP;
    ev.data.ptr = &c;
    if (epoll_ctl(epoll_, c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      throw std::runtime_error("fiber reactor: epoll_ctl failed");
    }
    c.registered = true;
    c.changed.wait(lock, [&c] { return c.ready; });
  }

 private:
  void run() {
    epoll_event events[64];
    while (true) {
      const int n = epoll_wait(epoll_, events, 64, -1);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<connection*>(events[i].data.ptr);
        if (c == nullptr) return;  // the run is over: every fiber has ended
        // Under the connection's lock: the fiber cannot miss the wake-up,
        // and the connection outlives this thread.
        std::lock_guard lock(c->mutex);
        c->ready = true;
        c->changed.notify_one();
      }
    }
  }
  void close_fds() noexcept {
    if (epoll_ >= 0) ::close(epoll_);
    if (wake_ >= 0) ::close(wake_);
  }
  int epoll_ = -1, wake_ = -1;
  std::thread thread_;
};

/// A non-blocking connect to `to`; while it is in progress the calling fiber
/// waits through `reactor`. TCP_NODELAY. nullptr when it cannot connect, with
/// the error in `err` (no exception: see connect()).
inline std::unique_ptr<fiber_reactor::connection> try_connect(fiber_reactor& reactor,
                                                              const net::endpoint& to, int& err) {
  auto c = std::make_unique<fiber_reactor::connection>();
  c->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (c->fd < 0) {
    err = errno;
    return nullptr;
  }
  err = 0;
  if (::connect(c->fd, reinterpret_cast<const sockaddr*>(&to.addr), sizeof to.addr) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      reactor.wait(*c, EPOLLOUT);
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
inline std::unique_ptr<fiber_reactor::connection> connect(fiber_reactor& reactor,
                                                          const net::endpoint& to) {
  int err = 0;
  std::unique_ptr<fiber_reactor::connection> c = try_connect(reactor, to, err);
  if (!c) {
    throw std::runtime_error("cannot connect to the delay server at " + to.text() + ": " +
                             std::strerror(err));
  }
  return c;
}

/// One round trip of the delay protocol on `c`: sends `r`, reads and checks
/// the whole reply (the calling fiber waits through `reactor`), returns its
/// payload's digest. Throws std::runtime_error naming `server` on a lost
/// connection, or saying what was wrong with the reply.
inline std::uint64_t round_trip(fiber_reactor& reactor, fiber_reactor::connection& c,
                                const net::request& r, const net::endpoint& server) {
  const auto req = net::encode(r);
  // 24 bytes on a connection with nothing in flight: they go out whole.
  if (::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    throw std::runtime_error("lost the connection to the delay server at " + server.text());
  }
  net::reply_reader reader(r);
  std::byte buf[4096];  // on the fiber's stack (the model's are 32 KiB)
  while (!reader.done()) {
    reactor.wait(c, EPOLLIN);
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
