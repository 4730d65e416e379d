// Semantics of ccbench's own event loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "models/loop/event_loop.hpp"
#include "models/loop/frame_pool.hpp"
#include "models/loop/timer_heap.hpp"

namespace ccbench::loop {
namespace {

using namespace std::chrono_literals;

double ms_since(clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

task<int> answer() { co_return 42; }

task<int> add_after(std::chrono::milliseconds d, int a, int b) {
  co_await sleep_for(d);
  co_return a + b;
}

TEST(Loop, RunReturnsTheMainTasksValue) {
  event_loop loop;
  EXPECT_EQ(loop.run(answer()), 42);
  EXPECT_EQ(loop.run(add_after(1ms, 2, 3)), 5);
}

task<void> sleeper(std::vector<int>& order, int id, std::chrono::milliseconds d) {
  co_await sleep_for(d);
  order.push_back(id);
}

task<void> spawn_sleepers(std::vector<int>& order) {
  event_loop& loop = *event_loop::current();
  loop.spawn(sleeper(order, 3, 30ms));
  loop.spawn(sleeper(order, 1, 10ms));
  loop.spawn(sleeper(order, 2, 20ms));
  loop.spawn(sleeper(order, 0, 0ms));
  co_await sleep_for(50ms);
}

TEST(Loop, TimersFireInDeadlineOrder) {
  event_loop loop;
  std::vector<int> order;
  loop.run(spawn_sleepers(order));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

task<void> same_deadline(std::vector<int>& order) {
  const auto when = clock::now() + 5ms;
  auto waiter = [&](int id) -> task<void> {
    co_await sleep_until(when);
    order.push_back(id);
  };
  event_loop& loop = *event_loop::current();
  for (int i = 0; i < 5; ++i) loop.spawn(waiter(i));
  co_await sleep_for(20ms);
}

TEST(Loop, EqualDeadlinesFireInArmingOrder) {
  event_loop loop;
  std::vector<int> order;
  loop.run(same_deadline(order));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

task<void> thousand_sleepers(int& done) {
  event_loop& loop = *event_loop::current();
  event all;
  for (int i = 0; i < 1000; ++i) {
    loop.spawn([](int& d, event& e) -> task<void> {
      co_await sleep_for(50ms);
      if (++d == 1000) e.set();
    }(done, all));
  }
  co_await all.wait();
}

// The timer queue against a sorted reference: arms idle nodes at deadlines
// from `next_deadline(rng, now)`, pops (with pop and pop_due) and cancels at
// random, and checks every popped timer and the count after each step.
template <class Deadline>
void check_timer_order(std::uint64_t seed, Deadline next_deadline) {
  std::mt19937_64 rng(seed);
  std::vector<timer_node> nodes(4000);
  std::vector<std::pair<std::int64_t, std::size_t>> ref;  // (deadline, arm order) of armed nodes
  std::vector<std::size_t> order(nodes.size());           // arm order of each node
  timer_heap timers;
  std::size_t armed = 0;
  std::int64_t now = 0;
  for (int round = 0; round < 40'000; ++round) {
    const unsigned op = rng() % 10;
    now += static_cast<std::int64_t>(rng() % 3);
    if (op < 5) {
      const std::size_t i = rng() % nodes.size();
      if (timers.armed(nodes[i])) continue;
      nodes[i].deadline_ns = next_deadline(rng, now);
      nodes[i].handle = std::coroutine_handle<>::from_address(&nodes[i]);  // never resumed
      timers.push(nodes[i]);
      order[i] = armed++;
      ref.emplace_back(nodes[i].deadline_ns, order[i]);
    } else if (op == 7) {
      // Everything due by a time a little past the earliest, in one call.
      if (timers.empty()) continue;
      std::sort(ref.begin(), ref.end());
      const std::int64_t by = ref.front().first + static_cast<std::int64_t>(rng() % 8);
      std::size_t due = 0;
      while (due < ref.size() && ref[due].first <= by) ++due;
      std::vector<timer_node*> fired;
      const std::size_t n = timers.pop_all_due(by, [&](std::coroutine_handle<> h) {
        fired.push_back(static_cast<timer_node*>(h.address()));
      });
      ASSERT_EQ(n, due);
      ASSERT_EQ(fired.size(), due);
      for (std::size_t k = 0; k < due; ++k) {
        ASSERT_FALSE(timers.armed(*fired[k]));
        const auto i = static_cast<std::size_t>(fired[k] - nodes.data());
        ASSERT_EQ((std::pair{fired[k]->deadline_ns, order[i]}), ref[k])
            << "fired " << k << " of " << due;
      }
      ref.erase(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(due));
      ASSERT_FALSE(timers.pop_due(by)) << "pop_all_due left a due timer";
    } else if (op < 8) {
      if (timers.empty()) continue;
      std::sort(ref.begin(), ref.end());
      ASSERT_EQ(timers.next_deadline(), ref.front().first);
      ASSERT_FALSE(timers.pop_due(ref.front().first - 1)) << "not due yet";
      const std::coroutine_handle<> h =
          round % 2 == 0 ? timers.pop() : timers.pop_due(ref.front().first);
      timer_node& n = *static_cast<timer_node*>(h.address());
      ASSERT_FALSE(timers.armed(n));
      ASSERT_EQ((std::pair{n.deadline_ns, order[static_cast<std::size_t>(&n - nodes.data())]}),
                ref.front());
      ref.erase(ref.begin());
    } else {
      const std::size_t i = rng() % nodes.size();
      if (!timers.armed(nodes[i])) continue;
      timers.cancel(nodes[i]);
      ASSERT_FALSE(timers.armed(nodes[i]));
      ref.erase(std::find(ref.begin(), ref.end(), std::pair{nodes[i].deadline_ns, order[i]}));
    }
    ASSERT_EQ(timers.size(), ref.size());
    ASSERT_EQ(timers.empty(), ref.empty());
  }
}

// Two timers with the same deadline in different runs fire in the order they
// were armed, also when the later one sits in the first run (whose timers
// pop_all_due fires in a loop that compares deadlines only).
TEST(Loop, EqualDeadlinesInTwoRunsFireInArmingOrder) {
  timer_heap timers;
  timer_node p, q, r;
  for (timer_node* n : {&p, &q, &r}) n->handle = std::coroutine_handle<>::from_address(n);
  p.deadline_ns = 30;
  timers.push(p);  // the first run
  q.deadline_ns = 10;
  timers.push(q);  // earlier than the first run's last: another run
  timers.cancel(p);
  r.deadline_ns = 10;
  timers.push(r);  // the first run, empty again: armed after q, same deadline
  std::vector<void*> fired;
  EXPECT_EQ(
      timers.pop_all_due(10, [&](std::coroutine_handle<> h) { fired.push_back(h.address()); }), 2u);
  EXPECT_EQ(fired, (std::vector<void*>{&q, &r}));
  EXPECT_TRUE(timers.empty());
}

// Mostly a rising deadline (the first run), sometimes an earlier or equal one.
TEST(Loop, TimerQueueKeepsDeadlineThenArmingOrder) {
  check_timer_order(7, [](std::mt19937_64& rng, std::int64_t now) {
    return rng() % 4 == 0 ? now - static_cast<std::int64_t>(rng() % 50) : now;
  });
}

// Several sleep lengths at once: two to seven of them, so some lengths share a
// run or go to the heap, with jitter that sends some timers out of order.
TEST(Loop, TimerQueueKeepsOrderWithSeveralSleepLengths) {
  for (std::uint64_t lengths = 2; lengths <= 7; ++lengths) {
    check_timer_order(lengths, [lengths](std::mt19937_64& rng, std::int64_t now) {
      const auto length = static_cast<std::int64_t>(1 + (rng() % lengths) * 37);
      return now + length - (rng() % 16 == 0 ? static_cast<std::int64_t>(rng() % 40) : 0);
    });
    if (HasFatalFailure()) return;
  }
}

// Arms `sleepers` timers that each sleep one of `lengths` in turn, starting a
// few ns apart, with the clock moving to each next deadline. Returns the most timers
// in the heap at once over the second half of the wake-ups (the first half
// lets the runs sort themselves out).
std::size_t most_in_heap(const std::vector<std::int64_t>& lengths, std::size_t sleepers,
                         int wakes) {
  std::vector<timer_node> nodes(sleepers);
  std::vector<std::size_t> step(sleepers);
  timer_heap timers;
  std::int64_t now = 0;
  for (std::size_t i = 0; i < sleepers; ++i) {
    step[i] = i % lengths.size();
    nodes[i].deadline_ns = lengths[step[i]] + static_cast<std::int64_t>(i % 7);
    nodes[i].handle = std::coroutine_handle<>::from_address(&nodes[i]);
    timers.push(nodes[i]);
  }
  std::size_t most = 0;
  for (int w = 0; w < wakes; ++w) {
    now = timers.next_deadline();
    auto& n = *static_cast<timer_node*>(timers.pop_due(now).address());
    const auto i = static_cast<std::size_t>(&n - nodes.data());
    step[i] = (step[i] + 1) % lengths.size();
    n.deadline_ns = now + lengths[step[i]];
    timers.push(n);
    if (w >= wakes / 2) most = std::max(most, timers.in_heap());
  }
  return most;
}

// A server arms a few timeout or sleep lengths over and over; each gets a run,
// so no timer goes through the heap's O(log n). One run only sent every short
// sleep after a long one (a 100 ms stall probe among 10 ms sleeps) to the heap.
TEST(Loop, AFewSleepLengthsStayOutOfTheHeap) {
  EXPECT_EQ(most_in_heap({10}, 1000, 20'000), 0u);
  EXPECT_EQ(most_in_heap({2, 8}, 1000, 20'000), 0u) << "tasks that sleep 2 ms, then 8 ms";
  EXPECT_EQ(most_in_heap({1, 10, 100}, 999, 20'000), 0u);
  // A long-period probe among many short sleepers.
  std::vector<timer_node> nodes(1001);
  timer_heap timers;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].deadline_ns = static_cast<std::int64_t>(i == 0 ? 100'000 : 10 * i);
    nodes[i].handle = std::coroutine_handle<>::from_address(&nodes[i]);
    timers.push(nodes[i]);
  }
  std::size_t most = 0;
  for (int w = 0; w < 50'000; ++w) {
    const std::int64_t now = timers.next_deadline();
    auto& n = *static_cast<timer_node*>(timers.pop_due(now).address());
    n.deadline_ns = now + (&n == &nodes[0] ? 100'000 : 10'000);
    timers.push(n);
    most = std::max(most, timers.in_heap());
  }
  EXPECT_EQ(most, 0u) << "the 10 us sleepers went to the heap behind the 100 us probe";
}

// Blocks freed on another thread, or left on a thread that exits, are reused
// rather than lost; oversized requests bypass the pool.
TEST(Loop, FramePoolRecyclesAcrossThreads) {
  using detail::frame_pool;
  constexpr std::size_t n = 20'000;  // more than a thread keeps to itself
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < n; ++i) blocks.push_back(frame_pool::allocate(200));
  std::thread([&] {
    for (void* b : blocks) frame_pool::deallocate(b, 200);  // freed elsewhere
  }).join();  // ... by a thread that then exits, handing its lists over
  std::vector<void*> again;
  std::thread([&] {  // a thread with no blocks of its own: it refills from the shared pool
    for (std::size_t i = 0; i < n; ++i) again.push_back(frame_pool::allocate(200));
  })
      .join();
  std::sort(blocks.begin(), blocks.end());
  std::size_t reused = 0;
  for (void* b : again) reused += std::binary_search(blocks.begin(), blocks.end(), b);
#if CCBENCH_LOOP_POOL_FRAMES
  EXPECT_EQ(reused, n) << "every block came back through the shared pool";
#endif
  for (void* b : again) frame_pool::deallocate(b, 200);
  void* big = frame_pool::allocate(4096);
  frame_pool::deallocate(big, 4096);
}

TEST(Loop, ThousandSleepsOverlap) {
  event_loop loop;
  int done = 0;
  const auto t0 = clock::now();
  loop.run(thousand_sleepers(done));
  const double ms = ms_since(t0);
  EXPECT_EQ(done, 1000);
  EXPECT_GE(ms, 50.0);
  EXPECT_LT(ms, 500.0) << "1000 x 50 ms sleeps should overlap (about 50 ms), not add up";
}

task<int> thrower() {
  co_await sleep_for(1ms);
  throw std::runtime_error("boom");
}

task<std::string> catcher() {
  try {
    co_await thrower();
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "not caught";
}

TEST(Loop, ExceptionReachesTheAwaiter) {
  event_loop loop;
  EXPECT_EQ(loop.run(catcher()), "boom");
  EXPECT_THROW(loop.run(thrower()), std::runtime_error);
}

task<bool> offload_checks_thread() {
  const auto loop_thread = std::this_thread::get_id();
  const auto worker = co_await to_thread([] { return std::this_thread::get_id(); });
  co_return worker != loop_thread&& std::this_thread::get_id() == loop_thread;
}

TEST(Loop, ToThreadRunsElsewhereAndResumesOnTheLoopThread) {
  event_loop loop;
  EXPECT_TRUE(loop.run(offload_checks_thread()));
}

task<int> offload_throws() {
  co_return co_await to_thread([]() -> int { throw std::logic_error("from the pool"); });
}

TEST(Loop, ToThreadPropagatesExceptions) {
  event_loop loop;
  EXPECT_THROW(loop.run(offload_throws()), std::logic_error);
}

task<void> ticker(int& ticks, bool& stop) {
  while (!stop) {
    co_await sleep_for(1ms);
    ++ticks;
  }
}

task<int> blocking_vs_offloaded(bool offload) {
  int ticks = 0;
  bool stop = false;
  event_loop::current()->spawn(ticker(ticks, stop));
  co_await sleep_for(2ms);
  const int before = ticks;
  if (offload) {
    co_await to_thread([] { std::this_thread::sleep_for(50ms); });
  } else {
    std::this_thread::sleep_for(50ms);  // holds the loop
  }
  const int during = ticks - before;
  stop = true;
  co_await sleep_for(3ms);
  co_return during;
}

TEST(Loop, BlockingFreezesOtherTasksAndToThreadDoesNot) {
  event_loop loop;
  EXPECT_EQ(loop.run(blocking_vs_offloaded(false)), 0);
  EXPECT_GT(loop.run(blocking_vs_offloaded(true)), 20);
}

task<int> yields(int n) {
  int count = 0;
  for (int i = 0; i < n; ++i) {
    co_await sleep_for(0ns);
    ++count;
    if (event_loop::current()->pending_timers() != 0) co_return -1;
  }
  co_return count;
}

TEST(Loop, ZeroSleepUsesTheReadyQueueNotATimer) {
  event_loop loop;
  EXPECT_EQ(loop.run(yields(1000)), 1000);
}

task<long> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

TEST(Loop, DeepChainsOfReadyAwaitsDoNotOverflowTheStack) {
#ifdef __SANITIZE_ADDRESS__
  // ASan's frame instrumentation keeps g++ 12 from turning symmetric transfer
  // into a tail call here (PLATFORM.md), so each await nests a frame.
  GTEST_SKIP() << "symmetric transfer is not a tail call under ASan with g++ 12";
#endif
  event_loop loop;
  EXPECT_EQ(loop.run(chain(100000)), 100000);
}

task<void> wait_forever() {
  event never;
  co_await never.wait();
}

TEST(Loop, WaitingOnNothingIsAnErrorNotAHang) {
  event_loop loop;
  EXPECT_THROW(loop.run(wait_forever()), std::logic_error);
}

}  // namespace
}  // namespace ccbench::loop
