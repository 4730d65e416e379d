// BM_floor_*: what the machine charges for the mechanisms the models are built
// on, so each model's numbers can be read against a floor.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>

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

void BM_floor_clock_read(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_floor_clock_read);

}  // namespace
