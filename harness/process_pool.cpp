#include "harness/process_pool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "harness/net_session.hpp"
#include "harness/step_work.hpp"

namespace ccbench {
namespace {

// The wire protocol between the pool and a worker, over one SOCK_STREAM
// socketpair per worker. Both ends are the same binary on the same machine
// (the worker is a fork), so structs go over the wire in native byte order and
// layout; the static_asserts pin the sizes.
//
//   request, pool -> worker:  request_header, then step_count x wire_step
//     request_header (16 B): u32 magic 'CCBJ' | u32 step_count | u64 acc
//     wire_step      (32 B): u32 kind (step_kind) | u32 fault (step_fault; tests only)
//                            | i64 duration_ns | u64 rounds | u64 seed
//   reply, worker -> pool:    reply (16 B): u32 magic 'CCBR' | u32 steps_run | u64 checksum
//
// The worker reads and runs the steps one at a time, so a frame of any length
// needs no buffer in the worker; it answers after the last step with `acc`
// folded with every cpu result. step_count 0 is the stall probe: the worker
// answers as soon as it reads the header. One request is in flight per worker.
constexpr std::uint32_t request_magic = 0x4a424343;  // "CCBJ" in memory, little-endian
constexpr std::uint32_t reply_magic = 0x52424343;    // "CCBR"

struct request_header {
  std::uint32_t magic;
  std::uint32_t step_count;
  std::uint64_t acc;
};
struct wire_step {
  std::uint32_t kind;
  std::uint32_t fault;
  std::int64_t duration_ns;
  std::uint64_t rounds;
  std::uint64_t seed;
};
struct reply {
  std::uint32_t magic;
  std::uint32_t steps_run;
  std::uint64_t checksum;
};
static_assert(sizeof(request_header) == 16 && sizeof(wire_step) == 32 && sizeof(reply) == 16);

// Exit statuses of a worker that gave up; the pool turns them into words.
constexpr int exit_bad_frame = 3;
constexpr int exit_parent_gone = 4;
constexpr int exit_step_fault = 5;  // a step failed: a process's uncaught exception
constexpr int exit_net_failed = 6;  // a net step's round trip failed (or it had no server)

constexpr std::uint64_t wake_tag = ~std::uint64_t{0};

// ---- the worker process ----------------------------------------------------
//
// Workers are fork()ed from a process that already has threads (the runner's
// watchdog, the dispatcher, maybe a model's own). Only the forking thread
// exists in the child, and any lock another thread held at the fork (malloc's,
// iostream's, a model's mutex) stays locked there forever. So the child only
// makes system calls and runs cpu_burn: no allocation, no locks, no stdio, no
// exceptions, and it leaves with _exit (no atexit handlers, no destructors of
// the parent's objects). Its buffers are locals on its stack, sized before the
// fork. What it runs per step (clock_nanosleep, a pure loop) is async-signal-safe.

bool read_full(int fd, void* buf, std::size_t size) noexcept {
  auto* p = static_cast<char*>(buf);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_full(int fd, const void* buf, std::size_t size) noexcept {
  const auto* p = static_cast<const char*>(buf);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// A worker's net steps: one blocking round trip each on the worker's own
// connection to the run's delay server: the one the pool opened before the
// fork (connect_workers), else opened at its first net step. The server was
// copied before the fork; nothing here allocates or throws.
std::uint64_t worker_net_step(const net::endpoint* server, int& conn, const step& s) noexcept {
  if (server == nullptr) _exit(exit_net_failed);
  if (conn < 0) conn = net::connect_raw(*server);
  if (conn < 0) _exit(exit_net_failed);
  std::uint64_t digest = 0;
  const net::request r{static_cast<std::uint32_t>(s.rounds),
                       static_cast<std::uint64_t>(s.duration.count()), s.seed};
  if (net::round_trip_raw(conn, r, digest) != net::trip_error::none) _exit(exit_net_failed);
  return digest;
}

[[noreturn]] void worker_loop(int fd, int conn, const net::endpoint* server) noexcept {
  // conn: to the delay server, or -1
  while (true) {
    request_header h;
    if (!read_full(fd, &h, sizeof h)) _exit(0);  // EOF: the pool let go of this worker
    if (h.magic != request_magic) _exit(exit_bad_frame);
    std::uint64_t acc = h.acc;
    for (std::uint32_t i = 0; i < h.step_count; ++i) {
      wire_step w;
      if (!read_full(fd, &w, sizeof w)) _exit(0);
      if (w.kind > static_cast<std::uint32_t>(step_kind::net)) _exit(exit_bad_frame);
      if (w.fault != 0) _exit(exit_step_fault);  // no exceptions in here (see above)
      step s;
      s.kind = static_cast<step_kind>(w.kind);
      s.duration = nanoseconds(w.duration_ns);
      s.rounds = w.rounds;
      s.seed = w.seed;
      if (s.kind == step_kind::net) {
        acc = fold_checksum(acc, worker_net_step(server, conn, s));
        continue;
      }
      acc = run_step(s, acc);  // an io step sleeps: a process has no event loop
    }
    const reply r{reply_magic, h.step_count, acc};
    if (!write_full(fd, &r, sizeof r)) _exit(0);
  }
}

// Everything between fork() and worker_loop(); see the comment above.
[[noreturn]] void become_worker(int fd, int other_end, int conn, pid_t parent,
                                const net::endpoint* server) noexcept {
  // Die with the thread that forked us (the dispatcher, which outlives every
  // worker it made), and check the parent did not die before the prctl.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(exit_parent_gone);

  // Terminal-style signals the parent may handle (ccbench's SIGINT handler)
  // must not run the parent's handler code in here; fault handlers (the
  // sanitizers') stay. The forking thread's signal mask is inherited: clear it.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE}) {
    sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // Keep stdio (sanitizer reports) and our socket, as fd 3; close everything
  // else. Above all the pool's ends of the other workers' sockets: a copy held
  // here would hide a worker's death (no EOF) from the pool, and the run
  // process's result pipe, whose reader waits for EOF.
  ::close(other_end);
  // The connection to the delay server, if the pool opened one, as fd 4: out
  // of the way of fd 3 first (F_DUPFD: the lowest free at 5 or above).
  if (conn >= 0) {
    const int moved = fcntl(conn, F_DUPFD, 5);
    if (moved < 0) _exit(exit_net_failed);
    ::close(conn);
    conn = moved;
  }
  if (fd != 3) {
    if (dup2(fd, 3) < 0) _exit(exit_bad_frame);
    if (fd > 3) ::close(fd);
  }
  unsigned first_closed = 4;
  if (conn >= 0) {
    if (dup2(conn, 4) < 0) _exit(exit_net_failed);
    conn = 4;
    first_closed = 5;  // the old descriptor goes with the rest
  }
  long closed = -1;
#ifdef SYS_close_range
  closed =
      syscall(SYS_close_range, first_closed, ~0u, 0u);  // Linux 5.9; the wrapper needs glibc 2.34
#endif
  if (closed != 0) {
    rlimit lim{};
    const rlim_t top = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 65536;
    for (rlim_t i = first_closed; i < top; ++i) ::close(static_cast<int>(i));
  }
  set_precise_timer_slack();  // io and block steps sleep as precisely as elsewhere
  worker_loop(3, conn, server);
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describe_exit(pid_t pid, int status) {
  const std::string who = "worker " + std::to_string(pid);
  if (WIFSIGNALED(status)) return who + " died with " + signal_name(WTERMSIG(status));
  if (WIFEXITED(status)) {
    switch (WEXITSTATUS(status)) {
      case exit_bad_frame:
        return who + " exited: it received a malformed request";
      case exit_parent_gone:
        return who + " exited: its parent was gone at start";
      case exit_step_fault:
        return who + " exited: a step it ran failed (an injected fault)";
      case exit_net_failed:
        return who +
               " exited: a net step's round trip to the delay server failed (refused, "
               "unreachable or lost)";
      default:
        return who + " exited with status " + std::to_string(WEXITSTATUS(status));
    }
  }
  return who + " ended (wait status " + std::to_string(status) + ")";
}

void reap(pid_t pid, int& status) noexcept {
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::uint64_t vm_hwm_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

}  // namespace

struct process_pool::state {
  struct queued {
    process_job* job;
    std::vector<std::byte> frame;
    time_point submitted;
  };

  // One worker process; dispatcher thread only.
  struct worker {
    pid_t pid = -1;
    int fd = -1;  // the pool's end of the socketpair; -1: no live worker in this slot
    std::uint32_t generation = 0;  // tells a stale epoll event from the replacement's
    process_job* job = nullptr;    // in flight, or nullptr when idle
    std::vector<std::byte> out;    // the request being written
    std::size_t sent = 0;
    bool want_out = false;  // EPOLLOUT registered: the socket buffer was full
    reply in{};
    std::size_t got = 0;
  };

  state() {
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = wake_tag;
    if (wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
      const int err = errno;
      close_fds();  // a constructor that throws gets no destructor call
      throw std::system_error(err, std::generic_category(), "process_pool: eventfd/epoll_ctl");
    }
  }
  ~state() { close_fds(); }
  void close_fds() noexcept {
    if (wake_fd >= 0) ::close(wake_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    wake_fd = epoll_fd = -1;
  }

  void run(int n, std::promise<int>& started);
  void serve();
  void shutdown();
  // `connect`: open the worker's connection to the delay server first.
  int spawn(std::size_t slot, bool connect = false);
  bool connect_workers = false;  // see process_pool's constructor
  void dispatch();
  void send(std::size_t slot, queued q);
  void flush(std::size_t slot);
  void on_readable(std::size_t slot);
  void lose(std::size_t slot, std::string why);
  void set_broken(std::string why);
  void wake();

  int epoll_fd = -1;
  int wake_fd = -1;
  std::thread dispatcher;
  std::thread::id dispatcher_id;
  pid_t self = getpid();

  mutable std::mutex mutex;
  std::deque<queued> queue;   // guarded by mutex
  bool stopping = false;      // guarded by mutex
  bool wake_pending = false;  // guarded by mutex: wake_fd written, not yet seen
  std::vector<pid_t> live;    // guarded by mutex
  std::string broken_reason;  // guarded by mutex
  std::atomic<bool> is_broken{false};

  std::atomic<std::uint64_t> jobs_sent{0}, wait_total_ns{0}, wait_max_ns{0};
  std::atomic<std::uint64_t> workers_died{0}, workers_started{0};

  // Dispatcher thread only.
  std::vector<worker> workers;
  std::vector<std::size_t> idle;  // slots with a live worker and no job
  int deaths_in_a_row = 0;        // worker losses since a job last finished
};

namespace {
// The pools alive in this process (a run has at most a few).
std::mutex pools_mutex;
std::vector<const process_pool*> pools;

std::vector<pid_t> counted;  // count_worker_process(); guarded by pools_mutex

// `pid`'s children, from each of its threads' /proc children list.
void add_descendants(pid_t pid, std::vector<pid_t>& out, int depth) {
  if (depth > 4) return;
  std::error_code ec;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream f(t.path() / "children");
    pid_t child = 0;
    while (f >> child) {
      out.push_back(child);
      add_descendants(child, out, depth + 1);
    }
  }
}
}  // namespace

std::vector<pid_t> live_worker_pids() {
  std::vector<pid_t> out;
  std::lock_guard lock(pools_mutex);
  for (const process_pool* p : pools) {
    const std::vector<pid_t> more = p->pids();
    out.insert(out.end(), more.begin(), more.end());
  }
  for (const pid_t pid : counted) {
    out.push_back(pid);
    add_descendants(pid, out, 0);
  }
  return out;
}

void count_worker_process(pid_t pid) {
  std::lock_guard lock(pools_mutex);
  counted.push_back(pid);
}

void forget_worker_process(pid_t pid) {
  std::lock_guard lock(pools_mutex);
  std::erase(counted, pid);
}

process_pool::process_pool(int workers, bool connect_workers)
    : workers_(std::max(1, workers)), state_(std::make_unique<state>()) {
  state_->connect_workers = connect_workers;
  std::promise<int> started;
  std::future<int> result = started.get_future();
  state* s = state_.get();
  s->dispatcher = std::thread([s, n = workers_, &started] { s->run(n, started); });
  if (const int err = result.get(); err != 0) {
    s->dispatcher.join();
    throw std::system_error(
        err, std::generic_category(),
        "process_pool: cannot start " + std::to_string(workers_) + " worker processes");
  }
  std::lock_guard lock(pools_mutex);
  pools.push_back(this);
}

process_pool::~process_pool() {
  {
    std::lock_guard lock(pools_mutex);
    pools.erase(std::find(pools.begin(), pools.end(), this));
  }
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake();
  state_->dispatcher.join();
}

void process_pool::submit(std::span<const step> steps, std::uint64_t acc, process_job& job) {
  state::queued q{&job,
                  std::vector<std::byte>(sizeof(request_header) + steps.size() * sizeof(wire_step)),
                  clock::now()};
  const request_header h{request_magic, static_cast<std::uint32_t>(steps.size()), acc};
  std::memcpy(q.frame.data(), &h, sizeof h);
  std::byte* p = q.frame.data() + sizeof h;
  for (const step& s : steps) {
    const wire_step w{static_cast<std::uint32_t>(s.kind), static_cast<std::uint32_t>(s.fault),
                      s.duration.count(), s.rounds, s.seed};
    std::memcpy(p, &w, sizeof w);
    p += sizeof w;
  }
  bool must_wake;
  {
    std::lock_guard lock(state_->mutex);
    state_->queue.push_back(std::move(q));
    // The dispatcher looks at the queue after every batch of events, so a
    // submit from its own thread (a done() callback) needs no wake-up.
    must_wake = !state_->wake_pending && std::this_thread::get_id() != state_->dispatcher_id;
    if (must_wake) state_->wake_pending = true;
  }
  if (must_wake) state_->wake();
}

std::vector<pid_t> process_pool::pids() const {
  std::lock_guard lock(state_->mutex);
  return state_->live;
}

std::uint64_t process_pool::peak_rss_kb() const {
  std::uint64_t sum = 0;
  for (pid_t pid : pids()) sum += vm_hwm_kb(pid);
  return sum;
}

bool process_pool::broken() const noexcept {
  return state_->is_broken.load(std::memory_order_acquire);
}

process_pool_stats process_pool::stats() const noexcept {
  process_pool_stats out;
  out.jobs_sent = state_->jobs_sent.load(std::memory_order_relaxed);
  out.queue_wait_total = nanoseconds(state_->wait_total_ns.load(std::memory_order_relaxed));
  out.queue_wait_max = nanoseconds(state_->wait_max_ns.load(std::memory_order_relaxed));
  out.workers_died = state_->workers_died.load(std::memory_order_relaxed);
  out.workers_started = state_->workers_started.load(std::memory_order_relaxed);
  return out;
}

void process_pool::state::wake() {
  const std::uint64_t one = 1;
  // EAGAIN (counter saturated) still leaves the eventfd readable.
  [[maybe_unused]] const ssize_t n = ::write(wake_fd, &one, sizeof one);
}

// The dispatcher thread: forks the workers (so PR_SET_PDEATHSIG, which fires
// when the forking *thread* exits, ties them to a thread that reaps them all
// before it ends), serves jobs until the pool stops, then tears down.
void process_pool::state::run(int n, std::promise<int>& started) {
  dispatcher_id = std::this_thread::get_id();
  set_precise_timer_slack();  // inherited by the workers forked from this thread
  workers.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (const int err = spawn(i, connect_workers); err != 0) {
      shutdown();
      started.set_value(err);
      return;
    }
  }
  started.set_value(0);  // `started` dies with the constructor's frame after this
  serve();
  shutdown();
}

int process_pool::state::spawn(std::size_t slot, bool connect) {
  int sv[2];
  // The run's delay server, for the worker's net steps: read here, since the
  // worker may take no lock.
  const std::optional<net::endpoint> server = net::session_server();
  // Its connection, opened here (before the window) and handed over; -1 when
  // not asked for, or refused (the worker's first net step then tries again,
  // and fails its task).
  const int conn = connect && server ? net::connect_raw(*server) : -1;
  if (conn >= 0) net::connection_opened();
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    const int err = errno;
    if (conn >= 0) ::close(conn);
    return err;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    if (conn >= 0) ::close(conn);
    return err;
  }
  if (pid == 0) become_worker(sv[1], sv[0], conn, self, server ? &*server : nullptr);
  ::close(sv[1]);
  if (conn >= 0) ::close(conn);  // the worker's now
  worker& w = workers[slot];
  w = worker{};
  w.pid = pid;
  w.fd = sv[0];
  w.generation = static_cast<std::uint32_t>(workers_started.fetch_add(1) + 1);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = std::uint64_t{w.generation} << 32 | slot;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, w.fd, &ev) != 0) {
    const int err = errno;
    ::close(w.fd);
    kill(pid, SIGKILL);
    int status;
    reap(pid, status);
    w = worker{};
    return err;
  }
  {
    std::lock_guard lock(mutex);
    live.push_back(pid);
  }
  idle.push_back(slot);
  return 0;
}

void process_pool::state::serve() {
  epoll_event events[32];
  while (true) {
    const int n = epoll_wait(epoll_fd, events, 32, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("ccbench: process_pool: epoll_wait");  // EBADF/EINVAL: a bug, not a load
      std::abort();
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[i].data.u64;
      if (tag == wake_tag) {
        std::uint64_t value;
        [[maybe_unused]] const ssize_t r = ::read(wake_fd, &value, sizeof value);
        continue;
      }
      const std::size_t slot = tag & 0xffffffffu;
      if (slot >= workers.size() || workers[slot].fd < 0 ||
          workers[slot].generation != static_cast<std::uint32_t>(tag >> 32)) {
        continue;  // that worker was lost earlier in this batch
      }
      const std::uint32_t generation = workers[slot].generation;
      if (events[i].events & EPOLLOUT) flush(slot);
      // flush() may have lost the worker (and put a replacement in the slot).
      if (workers[slot].generation == generation &&
          (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        on_readable(slot);
      }
    }
    {
      std::lock_guard lock(mutex);
      wake_pending = false;
      if (stopping) return;
    }
    dispatch();
  }
}

// Hands queued jobs to idle workers, or fails them all once the pool is broken.
// Called without the lock; done() callbacks run without it too.
void process_pool::state::dispatch() {
  std::unique_lock lock(mutex);
  while (!queue.empty()) {
    if (!broken_reason.empty()) {
      std::deque<queued> failed;
      failed.swap(queue);
      const std::string why = broken_reason;
      lock.unlock();
      for (queued& q : failed) q.job->done(0, why);
      lock.lock();
      continue;
    }
    if (idle.empty()) return;
    queued q = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    const std::size_t slot = idle.back();
    idle.pop_back();
    send(slot, std::move(q));
    lock.lock();
  }
}

void process_pool::state::send(std::size_t slot, queued q) {
  worker& w = workers[slot];
  const auto waited = static_cast<std::uint64_t>((clock::now() - q.submitted).count());
  jobs_sent.fetch_add(1, std::memory_order_relaxed);
  wait_total_ns.fetch_add(waited, std::memory_order_relaxed);
  if (waited > wait_max_ns.load(std::memory_order_relaxed)) {
    wait_max_ns.store(waited, std::memory_order_relaxed);  // one writer: this thread
  }
  w.job = q.job;
  q.job->started();
  w.out = std::move(q.frame);
  w.sent = 0;
  w.got = 0;
  flush(slot);
}

void process_pool::state::flush(std::size_t slot) {
  worker& w = workers[slot];
  while (w.sent < w.out.size()) {
    const ssize_t n =
        ::send(w.fd, w.out.data() + w.sent, w.out.size() - w.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      w.sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A long request: the worker drains the socket as it runs the steps.
      if (!w.want_out) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
        ev.data.u64 = std::uint64_t{w.generation} << 32 | slot;
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, w.fd, &ev);
        w.want_out = true;
      }
      return;
    }
    lose(slot, "");  // EPIPE, ECONNRESET: the worker is gone
    return;
  }
  w.out.clear();  // empty: the whole request is in the socket
  w.sent = 0;
  if (w.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = std::uint64_t{w.generation} << 32 | slot;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, w.fd, &ev);
    w.want_out = false;
  }
}

void process_pool::state::on_readable(std::size_t slot) {
  worker& w = workers[slot];
  while (true) {
    const ssize_t n =
        ::recv(w.fd, reinterpret_cast<char*>(&w.in) + w.got, sizeof w.in - w.got, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      lose(slot, "");  // EOF or ECONNRESET: the worker died (a reply it sent first came before)
      return;
    }
    w.got += static_cast<std::size_t>(n);
    if (w.got < sizeof w.in) continue;
    if (w.job == nullptr || w.in.magic != reply_magic || !w.out.empty()) {
      lose(slot, "sent a reply nobody asked for; killed it");
      return;
    }
    process_job* job = std::exchange(w.job, nullptr);
    w.got = 0;
    deaths_in_a_row = 0;
    idle.push_back(slot);
    job->done(w.in.checksum, {});
    return;  // level-triggered: an EOF behind the reply comes as the next event
  }
}

// The worker in `slot` is gone (or misbehaved, and is killed): reap it, fail
// its job, and start a replacement unless that is hopeless.
void process_pool::state::lose(std::size_t slot, std::string why) {
  worker& w = workers[slot];
  const pid_t pid = w.pid;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w.fd, nullptr);
  ::close(w.fd);
  // The socket closes in the kernel's exit path before the process becomes a
  // zombie: SIGKILL (a no-op on a zombie; it keeps the real cause) makes the
  // blocking waitpid short even if the worker were still running.
  kill(pid, SIGKILL);
  int status = 0;
  reap(pid, status);
  std::string what =
      why.empty() ? describe_exit(pid, status) : "worker " + std::to_string(pid) + " " + why;
  process_job* job = w.job;
  w = worker{};
  idle.erase(std::remove(idle.begin(), idle.end(), slot), idle.end());
  {
    std::lock_guard lock(mutex);
    live.erase(std::remove(live.begin(), live.end(), pid), live.end());
  }
  workers_died.fetch_add(1, std::memory_order_relaxed);

  // A job that kills its worker every time fails once per attempt and is not
  // retried; but workers that die without a job finishing in between (a crash
  // at start, the OOM killer) would fork forever: give up after a few rounds.
  const int limit = 3 * static_cast<int>(workers.size()) + 3;
  if (!is_broken.load(std::memory_order_relaxed)) {
    if (++deaths_in_a_row > limit) {
      set_broken(std::to_string(deaths_in_a_row) +
                 " worker processes died in a row without finishing a job (last: " + what + ")");
    } else if (const int err = spawn(slot); err != 0) {
      set_broken("cannot start a replacement for " + what + ": " + std::strerror(err));
    }
  }
  if (job != nullptr) job->done(0, what);
}

void process_pool::state::set_broken(std::string why) {
  std::lock_guard lock(mutex);
  broken_reason = "process pool broken: " + std::move(why);
  is_broken.store(true, std::memory_order_release);
}

// Kills and reaps every worker, then fails what is still in flight or queued,
// including jobs that done() callbacks submit meanwhile.
void process_pool::state::shutdown() {
  std::vector<process_job*> running;
  for (worker& w : workers) {
    if (w.fd < 0) continue;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w.fd, nullptr);
    ::close(w.fd);
    kill(w.pid, SIGKILL);  // idle ones would exit on EOF; a busy one may sleep for long
  }
  for (worker& w : workers) {
    if (w.fd < 0) continue;
    int status;
    reap(w.pid, status);
    if (w.job != nullptr) running.push_back(w.job);
    w = worker{};
  }
  idle.clear();
  {
    std::lock_guard lock(mutex);
    live.clear();
  }
  for (process_job* job : running) job->done(0, "process pool stopped while the job ran");
  while (true) {
    std::deque<queued> left;
    {
      std::lock_guard lock(mutex);
      left.swap(queue);
    }
    if (left.empty()) break;
    for (queued& q : left) q.job->done(0, "process pool stopped before the job ran");
  }
}

}  // namespace ccbench
