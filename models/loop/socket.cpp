#include "models/loop/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ccbench::loop {
namespace {

std::runtime_error lost(int e) {
  return std::runtime_error(std::string("lost the connection to the delay server: ") +
                            std::strerror(e));
}

}  // namespace

fd_watch::fd_watch(int fd) : loop_(event_loop::current()), fd_(fd) {
  try {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      throw std::system_error(errno, std::generic_category(), "fcntl(O_NONBLOCK)");
    }
    loop_->watch(fd, waiters_);
  } catch (...) {
    ::close(fd);
    throw;
  }
}

fd_watch::~fd_watch() {
  loop_->unwatch(fd_);
  ::close(fd_);
}

task<void> send_all(fd_watch& s, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(s.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      co_await s.writable();
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      throw lost(n < 0 ? errno : EPIPE);
    }
  }
}

task<bool> recv_exact(fd_watch& s, std::span<std::byte> out) {
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::recv(s.fd(), out.data() + got, out.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      if (got == 0) co_return false;
      throw std::runtime_error("the peer closed the connection mid-message");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      co_await s.readable();
    } else if (errno != EINTR) {
      throw lost(errno);
    }
  }
  co_return true;
}

task<std::unique_ptr<fd_watch>> connect_tcp(const net::endpoint& to) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // Watched from the start, so the wait for the connection is an ordinary
  // (cancellable) writability wait, and a failure closes the socket.
  auto s = std::make_unique<fd_watch>(fd);
  int err = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), sizeof to.addr) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      co_await s->writable();
      socklen_t len = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
  }
  if (err != 0) {
    throw std::runtime_error("cannot connect to the delay server at " + to.text() + ": " +
                             std::strerror(err));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  co_return s;
}

task<std::uint64_t> round_trip(fd_watch& s, const net::request& r) {
  const auto req = net::encode(r);
  // A 24-byte request on a connection with nothing in flight goes out whole.
  const ssize_t sent = ::send(s.fd(), req.data(), req.size(), MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) throw lost(errno);
  if (static_cast<std::size_t>(std::max<ssize_t>(sent, 0)) < req.size()) {
    co_await send_all(s,
                      std::span(req).subspan(static_cast<std::size_t>(std::max<ssize_t>(sent, 0))));
  }
  // The reply comes after the delay: await readiness first (if it is already
  // there, its edge is pending in the epoll and wakes us at once), then read
  // header and payload as they come, in as few reads as the sizes allow.
  net::reply_reader reader(r);
  while (!reader.done()) {
    co_await s.readable();
    while (!reader.done()) {
      // Read between two awaits: one buffer serves every coroutine of the
      // thread, and the frame stays small enough for the loop's frame pool.
      static thread_local std::byte scratch[16384];
      const std::span<std::byte> into = reader.next(scratch);
      const ssize_t n = ::recv(s.fd(), into.data(), into.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        throw lost(errno);
      }
      if (const net::trip_error e = reader.consume(into.first(static_cast<std::size_t>(n)));
          e != net::trip_error::none) {
        throw std::runtime_error(std::string(net::to_string(e)));
      }
    }
  }
  co_return reader.digest_value();
}

}  // namespace ccbench::loop
