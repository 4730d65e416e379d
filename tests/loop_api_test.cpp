// The asyncio-shaped API of ccbench's loop: create_task, cancellation, gather,
// task_group, semaphore, timeout. Timing bounds are loose (a shared 2-core
// machine); what is pinned is order, counts and who got cancelled.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "models/loop/event_loop.hpp"
#include "models/loop/semaphore.hpp"
#include "models/loop/task_group.hpp"

namespace ccbench::loop {
namespace {

using namespace std::chrono_literals;

double ms_since(clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

event_loop& here() { return *event_loop::current(); }

// Sleeps `d`; on cancellation sets `cancelled` and rethrows.
task<int> nap(std::chrono::milliseconds d, int value, bool* cancelled = nullptr) {
  try {
    co_await sleep_for(d);
  } catch (const cancelled_error&) {
    if (cancelled != nullptr) *cancelled = true;
    throw;
  }
  co_return value;
}

task<int> fail_after(std::chrono::milliseconds d, const char* what) {
  co_await sleep_for(d);
  throw std::runtime_error(what);
}

// ---- create_task -----------------------------------------------------------

task<void> note_start(bool& started) {
  started = true;
  co_return;
}

TEST(LoopApi, CreateTaskStartsAtTheNextAwaitAndGivesItsValue) {
  event_loop loop;
  auto main = []() -> task<std::pair<bool, int>> {
    bool started = false;
    task_handle<void> a = create_task(note_start(started));
    const bool started_at_once = started;
    task_handle<int> b = create_task(nap(5ms, 7));
    co_await a;
    EXPECT_TRUE(started);
    co_return std::pair{started_at_once, co_await b};
  };
  const auto [started_at_once, value] = loop.run(main());
  EXPECT_FALSE(started_at_once) << "asyncio: a task begins at the creator's next await";
  EXPECT_EQ(value, 7);
  EXPECT_EQ(loop.task_count(), 0u);
}

// ---- cancellation ----------------------------------------------------------

TEST(LoopApi, CancellingASleepDisarmsItsTimerAndThrowsInTheTask) {
  event_loop loop;
  bool cancelled = false;
  auto main = [&]() -> task<void> {
    task_handle<int> h = create_task(nap(10s, 1, &cancelled));
    co_await yield();  // let it start and arm its timer
    EXPECT_EQ(here().pending_timers(), 1u);
    EXPECT_TRUE(h.cancel());
    EXPECT_EQ(here().pending_timers(), 0u) << "cancel() disarms the timer at once";
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_TRUE(h.cancelled());
    EXPECT_FALSE(h.cancel()) << "already done";
  };
  const auto t0 = clock::now();
  loop.run(main());
  EXPECT_TRUE(cancelled);
  EXPECT_LT(ms_since(t0), 2000.0);
}

TEST(LoopApi, ATaskCancelledBeforeItStartsNeverRuns) {
  event_loop loop;
  bool started = false;
  auto main = [&]() -> task<bool> {
    task_handle<void> h = create_task(note_start(started));
    h.cancel();
    try {
      co_await h;
    } catch (const cancelled_error&) {
      co_return h.cancelled();
    }
    co_return false;
  };
  EXPECT_TRUE(loop.run(main()));
  EXPECT_FALSE(started);
}

TEST(LoopApi, ACancelledTaskMayAwaitWhileCleaningUp) {
  event_loop loop;
  bool cleaned = false;
  auto worker = [&]() -> task<void> {
    bool cancelled = false;
    try {
      co_await sleep_for(10s);
    } catch (const cancelled_error&) {
      cancelled = true;  // C++ allows no co_await in a handler
    }
    if (cancelled) {
      co_await sleep_for(1ms);  // delivered once: this await is not cancelled again
      cleaned = true;
      throw cancelled_error();
    }
  };
  auto main = [&]() -> task<void> {
    task_handle<void> h = create_task(worker());
    co_await yield();
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
  };
  loop.run(main());
  EXPECT_TRUE(cleaned);
}

TEST(LoopApi, CancellingATaskThatAwaitsAnotherCancelsBoth) {
  event_loop loop;
  bool inner_cancelled = false;
  auto outer = [&]() -> task<int> {
    task_handle<int> inner = create_task(nap(10s, 1, &inner_cancelled));
    co_return co_await inner;
  };
  auto main = [&]() -> task<void> {
    task_handle<int> h = create_task(outer());
    co_await sleep_for(1ms);
    EXPECT_EQ(here().pending_timers(), 1u);
    h.cancel();
    EXPECT_EQ(here().pending_timers(), 0u) << "the cancellation reached the inner sleep";
    EXPECT_THROW(co_await h, cancelled_error);
  };
  loop.run(main());
  EXPECT_TRUE(inner_cancelled);
  EXPECT_EQ(loop.task_count(), 0u);
}

TEST(LoopApi, CancellingASemaphoreWaiterTakesItOffTheQueue) {
  event_loop loop;
  auto main = []() -> task<void> {
    semaphore sem(1);
    semaphore::permit held = co_await sem.acquire();
    auto waiter = [&sem]() -> task<void> { auto p = co_await sem.acquire(); };
    task_handle<void> h = create_task(waiter());
    co_await yield();
    EXPECT_EQ(sem.waiting(), 1u);
    h.cancel();
    EXPECT_EQ(sem.waiting(), 0u);
    EXPECT_THROW(co_await h, cancelled_error);
    held.release();
    EXPECT_EQ(sem.available(), 1u) << "the slot was not handed to the cancelled waiter";
  };
  loop.run(main());
}

TEST(LoopApi, CancellingAnEventWaiterTakesItOffTheQueue) {
  event_loop loop;
  auto main = []() -> task<void> {
    event e;
    auto waiter = [&e]() -> task<void> { co_await e.wait(); };
    task_handle<void> h = create_task(waiter());
    co_await yield();
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    e.set();  // nobody left to wake
  };
  loop.run(main());
}

TEST(LoopApi, ACancelledToThreadCallFinishesAndTheAwaiterResumesWhenItReturns) {
  event_loop loop;
  std::atomic<bool> call_finished{false};
  double resumed_after_ms = 0;
  auto worker = [&]() -> task<void> {
    co_await to_thread([&] {
      std::this_thread::sleep_for(100ms);
      call_finished = true;
    });
  };
  auto main = [&]() -> task<void> {
    const auto t0 = clock::now();
    task_handle<void> h = create_task(worker());
    co_await sleep_for(10ms);
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    resumed_after_ms = ms_since(t0);
  };
  loop.run(main());
  EXPECT_TRUE(call_finished) << "the call is never abandoned half-way";
  EXPECT_GE(resumed_after_ms, 95.0) << "the awaiter resumes when the call returns, not before";
}

TEST(LoopApi, RunCancelsTheTasksMainLeftRunning) {
  event_loop loop;
  bool cancelled = false;
  auto main = [&]() -> task<int> {
    here().spawn(nap(10s, 0, &cancelled));
    co_await yield();
    co_return 3;
  };
  const auto t0 = clock::now();
  EXPECT_EQ(loop.run(main()), 3);
  EXPECT_LT(ms_since(t0), 2000.0);
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(loop.task_count(), 0u);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(LoopApi, AnExceptionNobodyAwaitedIsRethrownByRun) {
  event_loop loop;
  auto main = []() -> task<void> {
    here().spawn(fail_after(1ms, "lost"));
    co_await sleep_for(5ms);
  };
  EXPECT_THROW(loop.run(main()), std::runtime_error);
}

TEST(LoopApi, CancelledErrorIsNotAStdException) {
  // Like Python's CancelledError (a BaseException): catch (std::exception&)
  // in a task's loop must not swallow it.
  EXPECT_FALSE((std::is_base_of_v<std::exception, cancelled_error>));
}

// ---- gather ----------------------------------------------------------------

TEST(LoopApi, GatherReturnsResultsInArgumentOrderAndOverlaps) {
  event_loop loop;
  auto main = []() -> task<std::vector<int>> {
    std::vector<task<int>> tasks;
    tasks.push_back(nap(60ms, 0));
    tasks.push_back(nap(40ms, 1));
    tasks.push_back(nap(20ms, 2));
    co_return co_await gather(std::move(tasks));
  };
  const auto t0 = clock::now();
  EXPECT_EQ(loop.run(main()), (std::vector<int>{0, 1, 2}));
  const double ms = ms_since(t0);
  EXPECT_GE(ms, 55.0);
  EXPECT_LT(ms, 110.0) << "the three naps overlap (60 ms), they do not add up (120 ms)";
}

task<std::string> word(std::chrono::milliseconds d, std::string w) {
  co_await sleep_for(d);
  co_return w;
}

task<void> nothing() { co_return; }

TEST(LoopApi, GatherOfMixedTypesGivesATuple) {
  event_loop loop;
  auto main = []() -> task<std::tuple<int, std::string, std::monostate>> {
    co_return co_await gather(nap(20ms, 5), word(10ms, "ok"), nothing());
  };
  const auto [n, w, v] = loop.run(main());
  EXPECT_EQ(n, 5);
  EXPECT_EQ(w, "ok");
}

TEST(LoopApi, GatherPropagatesTheFirstExceptionAndCancelsTheRest) {
  event_loop loop;
  bool slow_cancelled = false;
  auto main = [&]() -> task<std::string> {
    std::vector<task<int>> tasks;
    tasks.push_back(nap(10s, 0, &slow_cancelled));
    tasks.push_back(fail_after(30ms, "second"));
    tasks.push_back(fail_after(10ms, "first"));
    try {
      co_await gather(std::move(tasks));
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(here().task_count(), 1u) << "only main is left: nothing outlives the gather";
      co_return e.what();
    }
    co_return "no exception";
  };
  const auto t0 = clock::now();
  EXPECT_EQ(loop.run(main()), "first") << "the first to fail, in time, not in argument order";
  EXPECT_LT(ms_since(t0), 2000.0);
  EXPECT_TRUE(slow_cancelled);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(LoopApi, CancellingAGatherCancelsEveryTask) {
  event_loop loop;
  bool a = false, b = false;
  auto gathering = [&]() -> task<void> { co_await gather(nap(10s, 0, &a), nap(10s, 0, &b)); };
  auto main = [&]() -> task<void> {
    task_handle<void> h = create_task(gathering());
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
  };
  loop.run(main());
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
}

// ---- task_group ------------------------------------------------------------

TEST(LoopApi, TaskGroupEndsOnlyWhenEveryTaskHasEnded) {
  event_loop loop;
  auto main = []() -> task<std::vector<int>> {
    std::vector<int> finished;
    auto job = [&finished](std::chrono::milliseconds d, int id) -> task<void> {
      co_await sleep_for(d);
      finished.push_back(id);
    };
    co_await with_task_group([&](task_group& tg) -> task<void> {
      tg.create_task(job(30ms, 3));
      tg.create_task(job(10ms, 1));
      tg.create_task(job(20ms, 2));
      co_return;  // the body ends first; the group still waits
    });
    co_return finished;
  };
  EXPECT_EQ(loop.run(main()), (std::vector<int>{1, 2, 3}));
}

TEST(LoopApi, TaskGroupCancelsTheOthersOnFailureAndRethrows) {
  event_loop loop;
  bool sibling_cancelled = false, body_cancelled = false;
  auto main = [&]() -> task<std::string> {
    try {
      co_await with_task_group([&](task_group& tg) -> task<void> {
        tg.create_task(nap(10s, 0, &sibling_cancelled));
        tg.create_task(fail_after(10ms, "boom"));
        try {
          co_await sleep_for(10s);  // the body is a task of the group too
        } catch (const cancelled_error&) {
          body_cancelled = true;
          throw;
        }
      });
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  const auto t0 = clock::now();
  EXPECT_EQ(loop.run(main()), "boom");
  EXPECT_LT(ms_since(t0), 2000.0);
  EXPECT_TRUE(sibling_cancelled);
  EXPECT_TRUE(body_cancelled);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(LoopApi, TaskGroupHandlesGiveValues) {
  event_loop loop;
  auto main = []() -> task<int> {
    int sum = 0;
    co_await with_task_group([&](task_group& tg) -> task<void> {
      task_handle<int> a = tg.create_task(nap(5ms, 2));
      task_handle<int> b = tg.create_task(nap(1ms, 3));
      sum = co_await a + co_await b;
    });
    co_return sum;
  };
  EXPECT_EQ(loop.run(main()), 5);
}

// ---- semaphore -------------------------------------------------------------

TEST(LoopApi, SemaphoreNeverAdmitsMoreThanNAndAdmitsInOrder) {
  event_loop loop;
  auto main = []() -> task<void> {
    semaphore sem(3);
    int inside = 0, most = 0;
    std::vector<int> admitted;
    auto job = [&](int id) -> task<void> {
      semaphore::permit p = co_await sem.acquire();
      admitted.push_back(id);
      most = std::max(most, ++inside);
      co_await sleep_for(std::chrono::milliseconds(1 + id % 4));
      --inside;
    };
    std::vector<task<void>> jobs;
    for (int i = 0; i < 20; ++i) jobs.push_back(job(i));
    co_await gather(std::move(jobs));
    EXPECT_EQ(most, 3);
    std::vector<int> in_order(20);
    for (int i = 0; i < 20; ++i) in_order[i] = i;
    EXPECT_EQ(admitted, in_order) << "FIFO: nobody overtakes the queue";
    EXPECT_EQ(sem.available(), 3u);
  };
  loop.run(main());
}

TEST(LoopApi, SemaphoreReleaseHandsTheSlotToTheWaiterNotToANewcomer) {
  event_loop loop;
  auto main = []() -> task<void> {
    semaphore sem(1);
    semaphore::permit p = co_await sem.acquire();
    std::vector<int> order;
    auto job = [&](int id) -> task<void> {
      auto q = co_await sem.acquire();
      order.push_back(id);
    };
    task_handle<void> first = create_task(job(1));
    co_await yield();  // 1 now waits
    p.release();       // handed to 1, still not free
    EXPECT_TRUE(sem.locked());
    task_handle<void> second = create_task(job(2));
    co_await first;
    co_await second;
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
  };
  loop.run(main());
}

// ---- timeout ---------------------------------------------------------------

TEST(LoopApi, TimeoutRaisesAndCancelsTheAwaitedOperation) {
  event_loop loop;
  bool cancelled = false;
  auto main = [&]() -> task<double> {
    const auto t0 = clock::now();
    EXPECT_THROW(co_await timeout(30ms, nap(10s, 0, &cancelled)), timeout_error);
    const double ms = ms_since(t0);
    EXPECT_EQ(here().pending_timers(), 0u) << "the 10 s timer is gone";
    co_return ms;
  };
  const double ms = loop.run(main());
  EXPECT_TRUE(cancelled);
  EXPECT_GE(ms, 29.0);
  EXPECT_LT(ms, 1000.0);
}

TEST(LoopApi, TimeoutPassesTheValueOrTheExceptionThrough) {
  event_loop loop;
  auto main = []() -> task<void> {
    EXPECT_EQ(co_await timeout(1s, nap(1ms, 9)), 9);
    EXPECT_THROW(co_await timeout(1s, fail_after(1ms, "inner")), std::runtime_error);
    EXPECT_EQ(here().pending_timers(), 0u);
  };
  loop.run(main());
}

TEST(LoopApi, TimeoutAroundASemaphoreWaitLeavesTheQueue) {
  event_loop loop;
  auto main = []() -> task<void> {
    semaphore sem(0);
    auto take = [&sem]() -> task<void> { auto p = co_await sem.acquire(); };
    EXPECT_THROW(co_await timeout(5ms, take()), timeout_error);
    EXPECT_EQ(sem.waiting(), 0u);
  };
  loop.run(main());
}

// ---- "coroutine was never awaited" ----------------------------------------

task<int> forgotten() { co_return 1; }

TEST(LoopApi, ATaskNeverAwaitedWarnsInDebugBuilds) {
  testing::internal::CaptureStderr();
  { task<int> t = forgotten(); }
  const std::string err = testing::internal::GetCapturedStderr();
#ifdef NDEBUG
  EXPECT_EQ(err, "");
#else
  EXPECT_NE(err.find("'forgotten'"), std::string::npos) << err;
  EXPECT_NE(err.find("never awaited"), std::string::npos) << err;
#endif
  // Awaited, spawned or moved into a task: no warning.
  testing::internal::CaptureStderr();
  {
    event_loop loop;
    loop.run(forgotten());
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace ccbench::loop
