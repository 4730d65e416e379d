#include "models/loop/delay_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "harness/histogram.hpp"
#include "models/loop/socket.hpp"

namespace ccbench::loop {
namespace {

// The reply bytes are generated into this much scratch per send call.
constexpr std::size_t send_chunk = 64 * 1024;

double thread_cpu_s() noexcept {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// One loop's share of the server: its counters, its lateness histogram, its
// stop signal. Touched only by its loop's thread until run() returns.
struct shard {
  histogram lateness;  // ns a reply left after its due time
  std::uint64_t requests = 0, bad_requests = 0, refused = 0, disconnects = 0, connections = 0;
  double cpu_s = 0;
  int stop_fd = -1;
  std::vector<std::byte> scratch = std::vector<std::byte>(send_chunk);
};

// Fills `out` with bytes [pos, pos + out.size()) of a reply: header, then payload.
void fill_reply(const std::array<std::byte, net::reply_header_size>& head, std::uint64_t nonce,
                std::uint64_t pos, std::span<std::byte> out) noexcept {
  std::size_t done = 0;
  if (pos < head.size()) {
    done = std::min<std::size_t>(out.size(), head.size() - static_cast<std::size_t>(pos));
    std::memcpy(out.data(), head.data() + pos, done);
  }
  if (done < out.size()) {
    net::fill_payload(nonce, pos + done - head.size(), out.subspan(done));
  }
}

}  // namespace

struct delay_server::impl {
  delay_server_options opts;
  int listen_fd = -1;
  net::endpoint address;
  std::int64_t cap = 0;
  std::atomic<std::int64_t> live{0};  // connections held, all loops together
  std::vector<std::unique_ptr<shard>> shards;
  std::mutex error_mutex;
  std::exception_ptr error;

  // Sends the whole reply [pos, total) from `sh`'s scratch; false when the
  // client went away.
  static task<bool> send_reply(fd_watch& c, shard& sh, const net::reply_header& h,
                               std::uint64_t nonce) {
    const auto head = net::encode(h);
    const std::uint64_t total = head.size() + h.size;
    std::uint64_t pos = 0;
    while (pos < total) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(sh.scratch.size(), total - pos));
      fill_reply(head, nonce, pos, std::span(sh.scratch.data(), n));
      const ssize_t k = ::send(c.fd(), sh.scratch.data(), n, MSG_NOSIGNAL);
      if (k > 0) {
        pos += static_cast<std::uint64_t>(k);
      } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        co_await c.writable();
      } else if (k < 0 && errno == EINTR) {
        continue;
      } else {
        co_return false;
      }
    }
    co_return true;
  }

  task<void> serve_connection(shard& sh, int raw) {
    struct held {
      std::atomic<std::int64_t>& live;
      ~held() { live.fetch_sub(1, std::memory_order_relaxed); }
    } hold{live};
    fd_watch c(raw);
    std::array<std::byte, net::request_size> bytes;
    while (true) {
      bool got = false;
      try {
        got = co_await recv_exact(c, bytes);
      } catch (const std::runtime_error&) {
        ++sh.disconnects;  // mid-request, or reset
        co_return;
      }
      if (!got) co_return;  // closed between requests: the normal end
      const time_point arrived = clock::now();
      net::request rq;
      if (!net::decode(bytes, rq)) {
        ++sh.bad_requests;
        co_return;  // closes the connection
      }
      net::reply_status status = net::reply_status::ok;
      if (rq.reply_bytes > opts.max_reply_bytes) {
        status = net::reply_status::too_large;
      } else if (rq.delay_ns > static_cast<std::uint64_t>(opts.max_delay.count())) {
        status = net::reply_status::too_long;
      }
      if (status != net::reply_status::ok) {
        ++sh.refused;
        co_await send_reply(c, sh, {status, 0}, 0);
        co_return;
      }
      const time_point due = arrived + nanoseconds(static_cast<std::int64_t>(rq.delay_ns));
      co_await sleep_until(due);
      sh.lateness.record(std::max<std::int64_t>(0, (clock::now() - due).count()));
      if (!co_await send_reply(c, sh, {net::reply_status::ok, rq.reply_bytes}, rq.nonce)) {
        ++sh.disconnects;
        co_return;
      }
      ++sh.requests;
    }
  }

  task<void> accept_loop(shard& sh, fd_watch& l) {
    event_loop& loop = *event_loop::current();
    while (true) {
      const int fd = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          co_await l.readable();
        } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors despite the cap (other use of them): back off.
          ++sh.refused;
          co_await sleep_for(std::chrono::milliseconds(10));
        }
        continue;  // ECONNABORTED, EINTR, ...: the next one
      }
      ++sh.connections;
      if (live.fetch_add(1, std::memory_order_relaxed) >= cap) {
        live.fetch_sub(1, std::memory_order_relaxed);
        ++sh.refused;
        const auto busy = net::encode(net::reply_header{net::reply_status::busy, 0});
        [[maybe_unused]] const ssize_t n = ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      loop.spawn(serve_connection(sh, fd));
    }
  }

  task<void> serve_loop(shard& sh) {
    const int lfd = ::dup(listen_fd);
    if (lfd < 0) throw std::system_error(errno, std::generic_category(), "dup");
    fd_watch l(lfd);
    fd_watch stop(::dup(sh.stop_fd));
    task_handle<void> acceptor = create_task(accept_loop(sh, l));
    co_await stop.readable();
    acceptor.cancel();
    try {
      co_await acceptor;
    } catch (const cancelled_error&) {
    }
    // Returning ends run(), which cancels the connections still open and
    // runs until they have closed.
  }

  void run_shard(shard& sh) noexcept {
    try {
      event_loop loop;
      loop.run(serve_loop(sh));
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
    sh.cpu_s = thread_cpu_s();
  }
};

delay_server::delay_server(const delay_server_options& opts) : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.opts = opts;
  s.opts.threads = std::max(1, opts.threads);
  s.cap = opts.max_connections;
  if (s.cap <= 0) {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    s.cap = std::max<std::int64_t>(1, static_cast<std::int64_t>(lim.rlim_cur) - 64);
  }
  auto fail = [&](const char* what) {
    const int e = errno;
    if (s.listen_fd >= 0) ::close(s.listen_fd);
    throw std::runtime_error("cannot listen on " + opts.listen.text() + ": " + what + ": " +
                             std::strerror(e));
  };
  s.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s.listen_fd < 0) fail("socket");
  const int one = 1;
  ::setsockopt(s.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.listen_fd, reinterpret_cast<const sockaddr*>(&opts.listen.addr),
             sizeof opts.listen.addr) != 0) {
    fail("bind");
  }
  if (::listen(s.listen_fd, 4096) != 0) fail("listen");
  socklen_t len = sizeof s.address.addr;
  if (::getsockname(s.listen_fd, reinterpret_cast<sockaddr*>(&s.address.addr), &len) != 0) {
    fail("getsockname");
  }
  for (int i = 0; i < s.opts.threads; ++i) {
    auto sh = std::make_unique<shard>();
    sh->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sh->stop_fd < 0) fail("eventfd");
    s.shards.push_back(std::move(sh));
  }
}

delay_server::~delay_server() {
  for (auto& sh : impl_->shards) ::close(sh->stop_fd);
  ::close(impl_->listen_fd);
}

const net::endpoint& delay_server::address() const noexcept { return impl_->address; }
std::int64_t delay_server::max_connections() const noexcept { return impl_->cap; }

void delay_server::run() {
  impl& s = *impl_;
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < s.shards.size(); ++i) {
    others.emplace_back([&s, i] { s.run_shard(*s.shards[i]); });
  }
  s.run_shard(*s.shards[0]);
  for (std::thread& t : others) t.join();
  if (s.error) std::rethrow_exception(s.error);
}

void delay_server::stop() noexcept {
  for (auto& sh : impl_->shards) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(sh->stop_fd, &one, sizeof one);
  }
}

delay_server_stats delay_server::stats() const {
  delay_server_stats st;
  histogram all;
  for (const auto& sh : impl_->shards) {
    all.merge(sh->lateness);
    st.requests += sh->requests;
    st.bad_requests += sh->bad_requests;
    st.refused += sh->refused;
    st.disconnects += sh->disconnects;
    st.connections += sh->connections;
    st.cpu_s += sh->cpu_s;
  }
  st.lateness_p50_us = static_cast<double>(all.value_at_percentile(50)) / 1e3;
  st.lateness_p99_us = static_cast<double>(all.value_at_percentile(99)) / 1e3;
  st.lateness_max_us = static_cast<double>(all.max()) / 1e3;
  return st;
}

std::string delay_server_stats::line() const {
  std::ostringstream out;
  out << "requests=" << requests << " bad_requests=" << bad_requests << " refused=" << refused
      << " disconnects=" << disconnects << " connections=" << connections
      << " lateness_p50_us=" << lateness_p50_us << " lateness_p99_us=" << lateness_p99_us
      << " lateness_max_us=" << lateness_max_us << " cpu_s=" << cpu_s;
  return out.str();
}

bool delay_server_stats::parse(const std::string& text, delay_server_stats& out) {
  std::istringstream in(text);
  std::string word;
  int seen = 0;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = word.substr(0, eq);
    const double v = std::strtod(word.c_str() + eq + 1, nullptr);
    auto count = [v] { return static_cast<std::uint64_t>(v); };
    if (key == "requests")
      out.requests = count();
    else if (key == "bad_requests")
      out.bad_requests = count();
    else if (key == "refused")
      out.refused = count();
    else if (key == "disconnects")
      out.disconnects = count();
    else if (key == "connections")
      out.connections = count();
    else if (key == "lateness_p50_us")
      out.lateness_p50_us = v;
    else if (key == "lateness_p99_us")
      out.lateness_p99_us = v;
    else if (key == "lateness_max_us")
      out.lateness_max_us = v;
    else if (key == "cpu_s")
      out.cpu_s = v;
    else
      continue;
    ++seen;
  }
  return seen == 9;
}

}  // namespace ccbench::loop
