// build/ccbench-net-floor: the floor of a closed loop of `net` steps on this
// machine, from a bare program that uses no ccbench code. One thread drives N
// connections with epoll (send a request, wait for readiness, read the reply,
// send the next), against a one-thread epoll server in another process that
// holds each reply its delay. It speaks ccbench's wire protocol
// (harness/net_protocol.hpp: a 24-byte request, a 16-byte header and a 64-byte
// payload back), so either side can face ccbench's:
//
//   ccbench-net-floor pair N DELAY_MS SECONDS     client and server (forked)
//   ccbench-net-floor server PORT                 server only, until SIGINT/SIGTERM
//   ccbench-net-floor client PORT N DELAY_MS SECONDS   client only (e.g. against
//                                                      `ccbench serve`)
//
// `ccbench run -m loop -w net:10ms -c 100` is held to `pair 100 10 2`:
// models/loop/PERF.md has the figures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

constexpr std::uint32_t request_magic = 0x51424343;  // "CCBQ"
constexpr std::uint32_t reply_magic = 0x52424343;    // "CCBR"
constexpr std::uint32_t payload_bytes = 64;
constexpr std::uint64_t payload_mix = 0x9E3779B97F4A7C15ull;

struct __attribute__((packed)) request {
  std::uint32_t magic, reply_bytes;
  std::uint64_t delay_ns, nonce;
};
struct __attribute__((packed)) reply {
  std::uint32_t magic, status;
  std::uint64_t size;
  std::uint64_t words[payload_bytes / 8];
};
static_assert(sizeof(request) == 24 && sizeof(reply) == 16 + payload_bytes);

long long now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1'000'000'000LL + t.tv_nsec;
}

volatile std::sig_atomic_t stopping = 0;
void on_signal(int) { stopping = 1; }

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "ccbench-net-floor: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void no_delay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

double percentile_ms(std::vector<long long>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]) /
         1e6;
}

// Serves until `clients` connections have come and gone (0: until a signal).
// A reply leaves at the first wake-up at or after its due time; a constant
// delay keeps the due times in arrival order, so a FIFO is the timer queue.
void serve(int listener, int clients) {
  const int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
  struct held {
    long long due;
    int fd;
    std::uint64_t nonce;
  };
  std::deque<held> queue;
  std::vector<long long> late;
  int open = 0, seen = 0;
  epoll_event events[256];
  while (!stopping && !(clients > 0 && seen >= clients && open == 0)) {
    while (!queue.empty() && queue.front().due <= now_ns()) {
      const held h = queue.front();
      queue.pop_front();
      late.push_back(now_ns() - h.due);
      if (h.fd < 0) continue;
      reply r{reply_magic, 0, payload_bytes, {}};
      for (std::uint64_t w = 0; w < payload_bytes / 8; ++w)
        r.words[w] = (h.nonce + w) * payload_mix;
      send(h.fd, &r, sizeof r, MSG_NOSIGNAL);
    }
    timespec wait{};
    timespec* timeout = nullptr;
    if (!queue.empty()) {
      const long long w = std::max(0LL, queue.front().due - now_ns());
      wait.tv_sec = w / 1'000'000'000LL;
      wait.tv_nsec = w % 1'000'000'000LL;
      timeout = &wait;
    }
    const int n = epoll_pwait2(ep, events, 256, timeout, nullptr);
    const long long arrived = now_ns();
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          no_delay(c);
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
          ev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
          ++open;
          ++seen;
        }
        continue;
      }
      while (true) {
        request rq{};
        const ssize_t k = recv(fd, &rq, sizeof rq, 0);
        if (k == static_cast<ssize_t>(sizeof rq) && rq.magic == request_magic) {
          queue.push_back({arrived + static_cast<long long>(rq.delay_ns), fd, rq.nonce});
          continue;
        }
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || k > 0) {
          --open;
          close(fd);
          for (held& h : queue) {
            if (h.fd == fd) h.fd = -1;
          }
        }
        break;
      }
    }
  }
  std::printf("server: %zu replies, lateness p50 %.0f us, p99 %.0f us\n", late.size(),
              percentile_ms(late, 0.5) * 1e3, percentile_ms(late, 0.99) * 1e3);
  std::fflush(stdout);
}

// A closed loop of `clients` connections for 0.5 s of warm-up and `seconds`
// of window: the completions in the window, their latency, the thread's CPU.
void drive(const sockaddr_in& to, int clients, long long delay_ns, double seconds) {
  const int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  std::vector<int> fds(static_cast<std::size_t>(clients));
  std::vector<long long> sent(fds.size());
  std::vector<std::uint64_t> nonce(fds.size());
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) die("socket");
    if (connect(c, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) die("connect");
    no_delay(c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    fds[i] = c;
  }
  auto ask = [&](std::size_t i) {
    const request r{request_magic, payload_bytes, static_cast<std::uint64_t>(delay_ns),
                    ++nonce[i] + (static_cast<std::uint64_t>(i) << 40)};
    sent[i] = now_ns();
    send(fds[i], &r, sizeof r, MSG_NOSIGNAL);
  };
  std::vector<long long> latency;
  const long long opens = now_ns() + 500'000'000LL;
  const long long closes = opens + static_cast<long long>(seconds * 1e9);
  rusage at_open{};
  bool open = false;
  long long done = 0, bad = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) ask(i);
  epoll_event events[256];
  while (now_ns() < closes) {
    const int n = epoll_wait(ep, events, 256, 100);
    for (int j = 0; j < n; ++j) {
      const std::size_t i = events[j].data.u64;
      reply r{};
      if (recv(fds[i], &r, sizeof r, MSG_WAITALL) != static_cast<ssize_t>(sizeof r)) continue;
      if (r.magic != reply_magic ||
          r.words[0] != (nonce[i] + (std::uint64_t{i} << 40)) * payload_mix)
        ++bad;
      const long long t = now_ns();
      if (!open && t >= opens) {
        getrusage(RUSAGE_THREAD, &at_open);
        open = true;
      }
      if (open && t <= closes) {
        ++done;
        latency.push_back(t - sent[i]);
      }
      ask(i);
    }
  }
  rusage at_close{};
  getrusage(RUSAGE_THREAD, &at_close);
  for (const int fd : fds) close(fd);
  auto cpu_s = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double cpu_us_per_task =
      done > 0 ? (cpu_s(at_close) - cpu_s(at_open)) * 1e6 / static_cast<double>(done) : 0;
  std::printf(
      "client: c=%d net:%lldms: %.0f tasks/s, p50 %.2f ms, p99 %.2f ms, CPU %.1f us a "
      "task%s\n",
      clients, delay_ns / 1'000'000, static_cast<double>(done) / seconds,
      percentile_ms(latency, 0.5), percentile_ms(latency, 0.99), cpu_us_per_task,
      bad > 0 ? ", WRONG PAYLOADS" : "");
  std::fflush(stdout);
  if (bad > 0) std::exit(1);
}

int listen_on(sockaddr_in& at) {
  const int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l < 0) die("socket");
  const int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) die("bind");
  if (listen(l, 4096) != 0) die("listen");
  socklen_t len = sizeof at;
  getsockname(l, reinterpret_cast<sockaddr*>(&at), &len);
  return l;
}

int usage() {
  std::fprintf(stderr,
               "usage: ccbench-net-floor pair N DELAY_MS SECONDS\n"
               "       ccbench-net-floor server PORT\n"
               "       ccbench-net-floor client PORT N DELAY_MS SECONDS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_TIMERSLACK, 1);  // as ccbench's loop does: 1 ms sleeps accurate to ~20 us
  const std::string mode = argc > 1 ? argv[1] : "";
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto positive = [](const char* s) { return std::strtod(s, nullptr) > 0; };
  if (mode == "client" && argc == 6 && positive(argv[3]) && positive(argv[5])) {
    at.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
    drive(at, std::atoi(argv[3]), std::atoll(argv[4]) * 1'000'000LL, std::atof(argv[5]));
    return 0;
  }
  if (mode == "server" && argc == 3) {
    at.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
    const int l = listen_on(at);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("127.0.0.1:%d\n", ntohs(at.sin_port));
    std::fflush(stdout);
    serve(l, 0);
    return 0;
  }
  if (mode == "pair" && argc == 5 && positive(argv[2]) && positive(argv[4])) {
    const int clients = std::atoi(argv[2]);
    const int l = listen_on(at);
    const pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      serve(l, clients);
      _exit(0);
    }
    close(l);
    drive(at, clients, std::atoll(argv[3]) * 1'000'000LL, std::atof(argv[4]));
    int status = 0;
    waitpid(pid, &status, 0);
    return 0;
  }
  return usage();
}
