// The harness's own bookkeeping, driven by hand: the exactly-once ledger (ids
// taken in blocks, completions gathered per word), the latency histograms, and
// the clock that stamps them.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/clock.hpp"
#include "harness/run_context.hpp"
#include "harness/run_record.hpp"
#include "harness/step_source.hpp"
#include "harness/step_work.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

run_config config_for(const std::string& spec) {
  run_config c;
  c.model = "by-hand";
  c.workload = spec;
  c.warmup = 0ns;
  c.duration = 60s;  // every completion below falls inside the window
  return c;
}

struct harness {
  explicit harness(const std::string& spec = "io:1ms")
      : config(config_for(spec)), source(workload::parse(spec), 1, 1.0), ctx(config, source) {
    ctx.start();
  }
  run_record finish() {
    run_record r;
    ctx.finish(r);
    return r;
  }
  // A task, as the run's one client takes them: the first opens the window.
  std::optional<task> next() { return opened.exchange(true) ? ctx.next_task() : ctx.first_task(); }
  std::atomic<bool> opened{false};
  run_config config;
  step_source source;
  run_context ctx;
};

// A completion with no segment open, as a task that ran nothing on a
// scheduler of ours is reported.
time_point complete(run_context& ctx, const task& t, std::uint64_t checksum) {
  segment none;
  return ctx.complete(t, checksum, none);
}

// The run failed, and its error says `what`.
void expect_failed(const run_record& r, const std::string& what) {
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_NE(r.error.find(what), std::string::npos) << r.error;
}

TEST(Ledger, EveryTaskOnceIsClean) {
  harness h;
  std::vector<task> tasks;
  for (int i = 0; i < 1000; ++i) tasks.push_back(*h.next());
  // Out of issue order, across words.
  std::reverse(tasks.begin(), tasks.end());
  for (const task& t : tasks) complete(h.ctx, t, 0);
  const run_record r = h.finish();
  EXPECT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(r.issued, 1000u) << "ids taken in blocks but never handed out are not issued";
  EXPECT_EQ(r.completed, 1000u);
  EXPECT_EQ(r.errors, 0u);
}

TEST(Ledger, ASecondCompletionOnTheSameThreadIsAnError) {
  harness h;
  const task t = *h.next();
  complete(h.ctx, t, 0);
  complete(h.ctx, t, 0);
  const run_record r = h.finish();
  EXPECT_EQ(r.errors, 1u);
  expect_failed(r, "completed twice");
}

TEST(Ledger, ASecondCompletionOnAnotherThreadIsAnError) {
  harness h;
  const task t = *h.next();
  const task other = *h.next();
  complete(h.ctx, t, 0);
  std::thread([&] {
    complete(h.ctx, t, 0);
    complete(h.ctx, other, 0);
  }).join();
  const run_record r = h.finish();
  EXPECT_EQ(r.errors, 1u);
  expect_failed(r, "task " + std::to_string(t.id) + " completed twice");
}

TEST(Ledger, ATaskNeverCompletedIsAnError) {
  harness h;
  const task t = *h.next();
  (void)*h.next();  // taken, never reported
  complete(h.ctx, t, 0);
  const run_record r = h.finish();
  EXPECT_EQ(r.issued, 2u);
  expect_failed(r, "1 issued tasks never completed");
}

TEST(Ledger, ACompletionOfATaskNeverIssuedIsAnError) {
  harness h;
  const task t = *h.next();
  complete(h.ctx, t, 0);
  task forged = t;
  forged.id = t.id + 5;  // in the block this thread took, but never handed out
  complete(h.ctx, forged, 0);
  const run_record r = h.finish();
  expect_failed(r, "never issued");
}

TEST(Ledger, AWrongChecksumIsAnError) {
  harness h("cpu:10us");
  const task t = *h.next();
  complete(h.ctx, t, h.source.expected_checksum(t.id) + 1);
  const run_record r = h.finish();
  expect_failed(r, "checksum");
}

TEST(Ledger, ThreadsIssuingAndCompletingTogetherAreClean) {
  harness h;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < 10'000; ++n) complete(h.ctx, *h.next(), 0);
    });
  }
  for (std::thread& t : threads) t.join();
  const run_record r = h.finish();
  EXPECT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(r.issued, 40'000u);
  EXPECT_EQ(r.completed, 40'000u);
}

// What a closed-loop client does between two tasks, in one call: the
// completion closes the task's last segment and issues the next task, both at
// the completion stamp.
TEST(Ledger, CompleteAndNextClosesTheSegmentAndIssuesAtTheCompletionStamp) {
  harness h;
  task t = *h.next();
  segment seg;
  h.ctx.resume(seg, t, clock::now());
  std::vector<std::uint64_t> ids{t.id};
  for (int i = 0; i < 200; ++i) {
    const time_point before = clock::now();
    const std::uint64_t previous = t.id;
    ASSERT_TRUE(h.ctx.complete_and_next(t, 0, seg));
    EXPECT_NE(t.id, previous);
    EXPECT_EQ(t.intended_start, t.actual_start);
    EXPECT_GE(t.intended_start, before) << "issued at the completion stamp, not earlier";
    EXPECT_EQ(clock::last(), t.intended_start) << "the stamp is the thread's last reading";
    ids.push_back(t.id);
    h.ctx.resume(seg, t, clock::last());
  }
  h.ctx.complete(t, 0, seg);
  seg.close();  // already closed by complete: not recorded twice
  const run_record r = h.finish();
  ASSERT_EQ(r.status, run_status::ok) << r.error;
  EXPECT_EQ(r.completed, ids.size());
  EXPECT_EQ(r.issued, ids.size());
  EXPECT_EQ(r.resumes, ids.size()) << "one segment a task, each closed once";
  EXPECT_EQ(r.latency.count, ids.size());
}

TEST(Ledger, CompleteAndNextStopsAtTheWindowsEndAndStillFindsDoubles) {
  harness h;
  h.config.duration = 20ms;
  run_context ctx(h.config, h.source);
  const time_point began = clock::now();
  ctx.start();
  task t = *ctx.first_task();
  const task first = t;
  segment seg;
  ctx.resume(seg, t, clock::now());
  std::uint64_t done = 0;
  while (ctx.complete_and_next(t, 0, seg)) {
    ++done;
    ctx.resume(seg, t, clock::now());
  }
  ++done;  // the last one completed, and no next was issued
  EXPECT_GE(clock::now(), began + 20ms) << "it went on until the window closed";
  segment again;
  ctx.resume(again, first, clock::now());
  t = first;
  EXPECT_FALSE(ctx.complete_and_next(t, 0, again)) << "past the window";
  run_record r;
  ctx.finish(r);
  EXPECT_EQ(r.issued, done);
  expect_failed(r, "task " + std::to_string(first.id) + " completed twice");
}

TEST(Latency, ClosedLoopHistogramsHoldEveryCompletionInTheWindow) {
  for (const nanoseconds warmup : {nanoseconds(0), nanoseconds(100ms),
                                   nanoseconds(150ms)}) {  // on and off an interval boundary
    harness h;
    h.config.warmup = warmup;
    run_context ctx(h.config, h.source);
    ctx.start();
    std::optional<task> t = ctx.first_task();
    const time_point end = clock::now() + warmup + 50ms;
    while (clock::now() < end) {
      complete(ctx, *t, 0);
      t = ctx.next_task();
    }
    complete(ctx, *t, 0);
    run_record r;
    ctx.finish(r);
    ASSERT_EQ(r.status, run_status::ok) << r.error;
    EXPECT_EQ(r.latency.count, r.completed + r.drained) << "warm-up " << warmup.count();
    EXPECT_EQ(r.latency_uncorrected.count, r.latency.count);
    EXPECT_EQ(r.latency_uncorrected.max, r.latency.max);
    std::uint64_t in_series = 0;
    for (const std::uint64_t n : r.series.completed) in_series += n;
    EXPECT_EQ(in_series, r.issued);
    EXPECT_GT(r.completed, 0u);
  }
}

TEST(Clock, AgreesWithSteadyClock) {
  // Long enough for the TSC line to be in use (it waits for 1 ms of baseline).
  const auto until = std::chrono::steady_clock::now() + 30ms;
  std::int64_t worst = 0;
  int samples = 0;
  while (std::chrono::steady_clock::now() < until) {
    // A bracket [before, after] of steady_clock readings around ours: a
    // preempted bracket is wide, and proves nothing; skip it.
    const auto before = std::chrono::steady_clock::now();
    const auto ours = clock::now();
    const auto after = std::chrono::steady_clock::now();
    if (after - before > 2us) continue;
    ++samples;
    worst = std::max({worst, (before - ours).count(), (ours - after).count()});
  }
  EXPECT_GT(samples, 1000);
  EXPECT_LT(worst, 1000) << "ns outside the bracket; clock source " << clock::source();
}

TEST(Clock, NeverGoesBackOnAThreadAndAgreesAcrossThreads) {
  std::vector<std::thread> threads;
  std::vector<int> back(4, 0);
  std::vector<std::int64_t> off(4, 0);
  for (std::size_t i = 0; i < back.size(); ++i) {
    threads.emplace_back([&, i] {
      time_point last = clock::now();
      const auto until = std::chrono::steady_clock::now() + 30ms;
      while (std::chrono::steady_clock::now() < until) {
        const time_point now = clock::now();
        if (now < last) ++back[i];
        last = now;
        const auto steady = std::chrono::steady_clock::now();
        off[i] = std::max(off[i], (now - steady).count());  // ours ahead of a later reading
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i], 0) << "thread " << i;
    EXPECT_LT(off[i], 1000) << "thread " << i << ": ns ahead of steady_clock";
  }
  EXPECT_TRUE(clock::source() == "tsc" || clock::source() == "steady_clock");
}

// clock::last() is what the loop opens a resume at after a wait: it must be the
// thread's own last reading, never one from another thread, never ahead of now.
TEST(Clock, LastIsThisThreadsLastReading) {
  const time_point mine = clock::now();
  EXPECT_EQ(clock::last(), mine);
  time_point other{};
  std::thread([&other] {
    std::this_thread::sleep_for(2ms);
    other = clock::now();
  }).join();
  EXPECT_GT(other, mine);
  EXPECT_EQ(clock::last(), mine) << "another thread's reading leaked into this one's";
  EXPECT_LE(clock::last(), clock::now());
  EXPECT_EQ(clock::last(), clock::last());
}

}  // namespace
}  // namespace ccbench
