// BM_floor_*: what the machine charges for the mechanisms the models are built
// on, so each model's numbers can be read against a floor.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "benchmarks/micro_sizes.hpp"
#include "harness/clock.hpp"
#include "harness/histogram.hpp"

namespace {

// A coroutine that bumps a counter and suspends, forever: resume() runs one
// step and comes back.
struct ticker {
  struct promise_type {
    ticker get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_always final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

ticker tick(std::uint64_t& n) {
  while (true) {
    ++n;
    co_await std::suspend_always{};
  }
}

void BM_floor_coroutine_resume(benchmark::State& state) {
  std::uint64_t n = 0;
  const ticker t = tick(n);
  for (auto _ : state) {
    t.handle.resume();
    benchmark::DoNotOptimize(n);
  }
  t.handle.destroy();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_floor_coroutine_resume);

// A switch into a Boost.Context fiber and back (two switches per iteration).
void BM_floor_context_switch(benchmark::State& state) {
  namespace ctx = boost::context;
  std::uint64_t n = 0;
  ctx::fiber f{[&n](ctx::fiber&& caller) {
    while (true) {
      ++n;
      caller = std::move(caller).resume();
    }
    return std::move(caller);
  }};
  for (auto _ : state) {
    f = std::move(f).resume();
    benchmark::DoNotOptimize(n);
  }
  // Destroying the suspended fiber unwinds its stack (forced_unwind).
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_floor_context_switch);

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value) noexcept {
  // std::atomic<uint32_t> has the size and alignment of the futex word.
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, nullptr, nullptr,
                 0);
}

// One round trip between two threads that sleep in the kernel: each side
// always waits with FUTEX_WAIT and wakes the other with FUTEX_WAKE (no spinning,
// unlike std::atomic::wait in libstdc++), so this is the floor of any blocking
// hand-off between threads. The threads are not pinned: they may share a core.
void BM_floor_futex_handoff(benchmark::State& state) {
  enum : std::uint32_t { main_turn, partner_turn, stop };
  std::atomic<std::uint32_t> word{main_turn};
  std::thread partner([&word] {
    while (true) {
      const std::uint32_t v = word.load(std::memory_order_acquire);
      if (v == stop) return;
      if (v == main_turn) {
        futex(word, FUTEX_WAIT_PRIVATE, main_turn);
        continue;
      }
      word.store(main_turn, std::memory_order_release);
      futex(word, FUTEX_WAKE_PRIVATE, 1);
    }
  });
  for (auto _ : state) {
    word.store(partner_turn, std::memory_order_release);
    futex(word, FUTEX_WAKE_PRIVATE, 1);
    while (word.load(std::memory_order_acquire) == partner_turn) {
      futex(word, FUTEX_WAIT_PRIVATE, partner_turn);
    }
  }
  word.store(stop, std::memory_order_release);
  futex(word, FUTEX_WAKE_PRIVATE, 1);
  partner.join();
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_floor_futex_handoff)->UseRealTime();

// One byte there and back between two processes over a pair of pipes. The
// child is forked here, before timing, and only reads, writes and _exits (all
// async-signal-safe: this process may have threads).
void BM_floor_pipe_pingpong(benchmark::State& state) {
  int to_child[2], to_parent[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(to_parent, O_CLOEXEC) != 0) {
    state.SkipWithError("pipe2 failed");
    return;
  }
  const pid_t child = fork();
  if (child < 0) {
    state.SkipWithError("fork failed");
    return;
  }
  if (child == 0) {
    close(to_child[1]);  // so that the parent's close reads as EOF here
    close(to_parent[0]);
    char b;
    while (read(to_child[0], &b, 1) == 1 && write(to_parent[1], &b, 1) == 1) {
    }
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  char b = 'x';
  for (auto _ : state) {
    if (write(to_child[1], &b, 1) != 1 || read(to_parent[0], &b, 1) != 1) {
      state.SkipWithError("pipe ping-pong failed");
      break;
    }
  }
  close(to_child[1]);  // the child reads EOF and exits
  close(to_parent[0]);
  kill(child, SIGKILL);  // in case it is stuck anyway (it has normally exited)
  waitpid(child, nullptr, 0);
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_floor_pipe_pingpong)->UseRealTime();

// One byte there and back over a loopback TCP connection between two threads,
// each in a blocking recv: the least a `net` round trip costs on this machine
// (two sends, two receives, two wake-ups), beside the pipe floor above.
void BM_floor_tcp_roundtrip(benchmark::State& state) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, a kernel-picked port
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    state.SkipWithError("cannot listen on 127.0.0.1");
    if (listener >= 0) close(listener);
    return;
  }
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    state.SkipWithError("cannot connect to 127.0.0.1");
    close(client);
    close(listener);
    return;
  }
  const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  const int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::thread echo([server] {
    char b;
    while (recv(server, &b, 1, 0) == 1 && send(server, &b, 1, MSG_NOSIGNAL) == 1) {
    }
  });
  char b = 'x';
  for (auto _ : state) {
    if (send(client, &b, 1, MSG_NOSIGNAL) != 1 || recv(client, &b, 1, 0) != 1) {
      state.SkipWithError("tcp ping-pong failed");
      break;
    }
  }
  shutdown(client, SHUT_RDWR);  // the echo thread reads EOF
  echo.join();
  close(client);
  close(server);
  close(listener);
  state.SetItemsProcessed(state.iterations());  // one item = one round trip
}
BENCHMARK(BM_floor_tcp_roundtrip)->UseRealTime();

// The least a loop can do for BM_loop_sleepers' load: no coroutines and no
// frames, a client is an index in a ring of deadlines (all sleep the same, so
// the ring stays sorted), and a completion is one read of the harness clock and
// one histogram record. The loop sleeps in epoll_pwait2 until the earlier of
// the ring's front and the probe, as the event loop does. Its CPU time per
// completion is the floor for the loop's CPU per task on this machine: most of
// it is the probe's wake-ups where a wake-up is dear (a VM).
void BM_floor_sleepers(benchmark::State& state) {
  using ccbench::clock;
  const std::size_t n = ccbench::micro::sleepers();
  const std::int64_t sleep_ns = ccbench::micro::sleeper_sleep.count();
  const std::int64_t period_ns = ccbench::micro::sleeper_probe_period.count();
  const int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // as the event loop sets it
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  struct slot {
    std::int64_t deadline;
    std::size_t client;
  };
  std::size_t capacity = 1;
  while (capacity < n) capacity *= 2;
  std::vector<slot> ring(capacity);
  const std::size_t mask = capacity - 1;
  std::size_t head = 0, tail = 0;
  std::vector<std::int64_t> start(n);
  ccbench::histogram latency, lateness;
  auto now_ns = [] { return clock::now().time_since_epoch().count(); };
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) {  // all start at once, as a run's clients do
    start[i] = t0;
    ring[tail++ & mask] = {t0 + sleep_ns, i};
  }
  std::int64_t probe = t0 + period_ns;
  std::uint64_t done = 0;
  auto run_until = [&](auto stop) {
    while (!stop()) {
      const std::int64_t now = now_ns();
      if (probe <= now) {
        lateness.record(now - probe);
        probe = now + period_ns;
      }
      while (head != tail && ring[head & mask].deadline <= now) {
        const std::size_t c = ring[head++ & mask].client;
        const std::int64_t stamp = now_ns();  // the completion
        latency.record(stamp - start[c]);
        start[c] = stamp;
        ring[tail++ & mask] = {stamp + sleep_ns, c};
        ++done;
      }
      std::int64_t next = probe;
      if (head != tail) next = std::min(next, ring[head & mask].deadline);
      const std::int64_t wait = std::max<std::int64_t>(0, next - now_ns());
      const timespec ts{static_cast<time_t>(wait / 1'000'000'000),
                        static_cast<long>(wait % 1'000'000'000)};
      epoll_event events[1];
      epoll_pwait2(ep, events, 1, &ts, nullptr);
    }
  };
  const std::int64_t warm = t0 + ccbench::micro::sleeper_warmup.count();
  run_until([&] { return now_ns() >= warm; });
  // A turn fires every timer due, so a batch ends a little past its target:
  // the next batch counts from the target, so that no completion goes uncounted.
  std::uint64_t target = done;
  while (state.KeepRunningBatch(ccbench::micro::sleeper_batch)) {
    target += ccbench::micro::sleeper_batch;
    run_until([&] { return done >= target; });
  }
  close(ep);
  if (slack >= 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack), 0UL, 0UL, 0UL);
  benchmark::DoNotOptimize(latency.count() + lateness.count());
  state.counters["sleepers"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations());
}
// Real time paces the run (a completion every 10 ms / n); the CPU time per
// iteration is the figure.
BENCHMARK(BM_floor_sleepers)->UseRealTime()->MinTime(ccbench::micro::sleeper_min_time());

void BM_floor_clock_read(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_floor_clock_read);

}  // namespace
