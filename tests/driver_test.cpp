// The driver's client protocol, on a fake model: one thread, a queue of ready
// coroutines, and waits that take no time. The fake records what the driver
// asks of it (sleep, yield, spawn) and aborts the run after a fixed number of
// waits (nothing is recorded after an abort), so every run here is the same
// sequence of calls and counts, whatever the machine is doing.
#include <gtest/gtest.h>

#include <coroutine>
#include <deque>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/driver.hpp"
#include "harness/run_context.hpp"
#include "harness/run_record.hpp"
#include "harness/step_source.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

template <bool Cooperative>
struct fake_primitives : routine_primitives {
  static constexpr bool cooperative = Cooperative;

  run_context* ctx = nullptr;
  std::deque<std::coroutine_handle<>> ready;
  std::vector<std::string> calls;
  routine_set live;
  int waits_left = 0;  // the run is aborted once this many waits were asked for

  // Suspends the routine to the back of the ready queue.
  struct requeue {
    fake_primitives* m;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const { m->ready.push_back(h); }
    void await_resume() const noexcept {}
  };
  requeue wait(const char* what) {
    calls.emplace_back(what);
    if (--waits_left == 0) ctx->abort();
    return requeue{this};
  }
  requeue sleep_until(client&, time_point) { return wait("sleep"); }
  requeue yield(client&) { return wait("yield"); }
  void spawn(routine<void> r) {
    calls.emplace_back("spawn");
    live.start_here(std::move(r));
  }
  // The probe is not the subject here: it wakes once and sees the window shut.
  auto wake_probe(client&, stall_probe&) {
    return done_inline{[] {}};
  }

  void run_all() {
    while (!ready.empty()) {
      const std::coroutine_handle<> h = ready.front();
      ready.pop_front();
      h.resume();
    }
  }
};

// One run of the fake, by hand: the test is the runner.
template <bool Cooperative>
struct fake_run {
  fake_run(const std::string& spec, std::uint64_t concurrency, int waits, double rate = 0)
      : config(make_config(spec, concurrency, rate)),
        source(workload::parse(spec), 1, 1.0),
        ctx(config, source) {
    prims.ctx = &ctx;
    prims.waits_left = waits;
  }
  static run_config make_config(const std::string& spec, std::uint64_t concurrency, double rate) {
    run_config c;
    c.model = "fake";
    c.workload = spec;
    c.concurrency = concurrency;
    if (rate > 0) {
      c.arrival = arrival_kind::open;
      c.rate = rate;
    }
    c.warmup = 0ns;
    c.duration = 60s;  // the fake aborts the run first
    return c;
  }
  run_record run() {
    ctx.start();
    model_context view(ctx);
    driver<fake_primitives<Cooperative>> d(view, prims);
    d.start_load();
    prims.run_all();
    prims.live.wait();
    run_record r;
    ctx.finish(r);
    return r;
  }
  // The calls after the spawns.
  std::vector<std::string> waits() const {
    std::vector<std::string> out;
    for (const std::string& c : prims.calls) {
      if (c != "spawn") out.push_back(c);
    }
    return out;
  }

  run_config config;
  step_source source;
  run_context ctx;
  fake_primitives<Cooperative> prims;
};

using strings = std::vector<std::string>;

TEST(Driver, ATaskThatStartsWithAWaitTakesNoYieldBeforeIt) {
  fake_run<true> f("io:1ms,cpu:1us", 1, 4);
  const run_record r = f.run();
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(f.waits(), (strings{"sleep", "sleep", "sleep", "sleep"})) << "the wait is the yield";
  EXPECT_EQ(r.completed, 3u) << "the fourth task completes after the abort";
  EXPECT_EQ(r.resumes, 3u) << "one segment a task: from the wake-up to the completion";
}

TEST(Driver, ATaskThatStartsRunningYieldsFirst) {
  fake_run<true> f("cpu:1us,io:1ms", 1, 4);
  const run_record r = f.run();
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(f.waits(), (strings{"yield", "sleep", "yield", "sleep"}));
  EXPECT_EQ(r.completed, 1u);
  EXPECT_EQ(r.resumes, 3u) << "two segments a task: before and after its wait";
}

TEST(Driver, RefusesAnOffloadTheModelHasNoPrimitiveFor) {
  run_config c = fake_run<true>::make_config("block:1us", 1, 0);
  c.options.offload = offload_mode::thread;
  const step_source source(workload::parse("block:1us"), 1, 1.0);
  run_context ctx(c, source);
  model_context view(ctx);
  fake_primitives<true> prims;
  EXPECT_THROW(driver<fake_primitives<true>>(view, prims), std::invalid_argument);
}

TEST(Driver, EveryClientTakesItsTurn) {
  fake_run<true> f("cpu:1us", 3, 6);
  const run_record r = f.run();
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(f.prims.calls.size(), 3u + 6u) << "three spawns, six yields";
  EXPECT_EQ(r.completed, 3u) << "each client completed one task before the abort";
}

TEST(Driver, AWorkerModelQueuesEveryTaskAndSleepsThroughItsWaits) {
  fake_run<false> f("io:1us,cpu:1us", 1, 3);
  const run_record r = f.run();
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(f.waits(), (strings{"yield", "yield", "yield"}))
      << "an io step holds a worker: never a sleep of the model's";
  EXPECT_EQ(r.completed, 2u);
  EXPECT_EQ(r.resumes, 0u) << "no segments: nothing cooperative to time";
  EXPECT_EQ(r.queue_waits, 2u) << "every task's wait in the queue";
}

TEST(Driver, AnOpenLoopArrivalRunsAtOnceInACooperativeModel) {
  fake_run<true> f("cpu:1us", 1, 3, 1000);
  const run_record r = f.run();
  EXPECT_EQ(f.waits(), (strings{"sleep", "sleep", "sleep"})) << "the generator's waits only";
  EXPECT_EQ(r.completed, 2u);
}

TEST(Driver, AnOpenLoopArrivalQueuesInAWorkerModel) {
  fake_run<false> f("cpu:1us", 1, 4, 1000);
  const run_record r = f.run();
  EXPECT_EQ(f.waits(), (strings{"sleep", "yield", "sleep", "yield"}))
      << "each arrival waits in the queue";
  EXPECT_EQ(r.completed, 1u);
}

TEST(Driver, AStepThatThrowsFailsItsTaskAndTheClientGoesOn) {
  fake_run<true> f("cpu:1us,io:1ms", 1, 8);
  f.source =
      step_source(workload::parse("cpu:1us,io:1ms"), 1, 1.0, {step_fault::other_exception, 2});
  const run_record r = f.run();
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_EQ(r.errors, 2u) << "tasks 1 and 3 of 0..4";
  EXPECT_NE(r.error.find("task 1: an exception that is not a std::exception"), std::string::npos)
      << r.error;
  EXPECT_EQ(r.completed, 2u) << "tasks 0 and 2; task 4 ends after the abort";
}

TEST(Driver, TheWindowOpensWhenTheLastClientHasItsFirstTask) {
  run_config c = fake_run<true>::make_config("io:1ms", 3, 0);
  const step_source source(workload::parse("io:1ms"), 1, 1.0);
  run_context ctx(c, source);
  ctx.start();
  ASSERT_TRUE(ctx.first_task());
  ASSERT_TRUE(ctx.first_task());
  EXPECT_FALSE(ctx.window().known()) << "two of three clients started";
  ASSERT_TRUE(ctx.first_task());
  ASSERT_TRUE(ctx.window().known());
  EXPECT_EQ(ctx.window().warm_end(), ctx.window().origin() + c.warmup);
  EXPECT_EQ(ctx.window().end(), ctx.window().warm_end() + c.duration);
}

TEST(Driver, ARunThatCompletesNothingIsNotOk) {
  run_config c = fake_run<true>::make_config("io:1ms", 1, 0);
  c.duration = 5ms;
  const step_source source(workload::parse("io:1ms"), 1, 1.0);
  run_context ctx(c, source);
  ctx.start();
  const std::optional<task> t = ctx.first_task();
  ASSERT_TRUE(t);
  std::this_thread::sleep_for(10ms);
  segment none;
  ctx.complete(*t, 0, none);  // after the window: drained, not completed
  run_record r;
  ctx.finish(r);
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_NE(r.error.find("no task completed inside the measured window"), std::string::npos)
      << r.error;
}

TEST(Driver, AProbeHeldThroughTheWindowIsItsLongestStall) {
  // Due in the warm-up, woken after the window opened: the stall reaches into
  // the window, so it counts (a pool whose queue held the probe throughout).
  run_config c = fake_run<true>::make_config("io:1ms", 1, 0);
  c.warmup = 5ms;
  c.duration = 20ms;  // over when the probe wakes: it is not due again inside it
  const step_source source(workload::parse("io:1ms"), 1, 1.0);
  run_context ctx(c, source);
  ctx.start();
  const std::optional<task> t = ctx.first_task();
  std::this_thread::sleep_for(30ms);
  ctx.probe().woke();
  segment none;
  ctx.complete(*t, 0, none);
  run_record r;
  ctx.finish(r);
  EXPECT_EQ(r.stall.samples, 1u);
  EXPECT_GE(r.stall.max, 25'000.0);
}

TEST(Driver, AStretchThatHeldTheWindowsOpeningIsInTheStallLog) {
  // Began in the warm-up, ended inside the window: not a resume of the window
  // (it did not begin there), but the stall log names it as what held the
  // scheduler across the opening.
  // A warm-up of 25 ms, so that a loaded machine that pauses this thread
  // between start() and resume() still begins the stretch inside it.
  run_config c = fake_run<true>::make_config("block:60ms", 1, 0);
  c.warmup = 25ms;
  c.duration = 60s;
  const step_source source(workload::parse("block:60ms"), 1, 1.0);
  run_context ctx(c, source);
  ctx.start();
  const std::optional<task> t = ctx.first_task();
  ASSERT_TRUE(t);
  segment seg;
  ctx.resume(seg, *t, clock::now());
  seg.step(0, step_kind::block);
  std::this_thread::sleep_for(60ms);
  ctx.complete(*t, 0, seg);
  run_record r;
  ctx.finish(r);
  EXPECT_EQ(r.resumes, 0u) << "it did not begin in the window";
  ASSERT_FALSE(r.stall_log.empty());
  EXPECT_EQ(r.stall_log.front().task, static_cast<std::int64_t>(t->id));
  EXPECT_EQ(r.stall_log.front().step, "block");
  EXPECT_LT(r.stall_log.front().at_ms, 0.0) << "it began before the window opened";
}

}  // namespace
}  // namespace ccbench
