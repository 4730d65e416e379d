#include "models/loop/tour.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/process_offload.hpp"
#include "models/loop/semaphore.hpp"
#include "models/loop/task_group.hpp"

namespace ccbench::loop {
namespace {

double seconds(clock::duration d) { return std::chrono::duration<double>(d).count(); }
double seconds_since(clock::time_point t0) { return seconds(clock::now() - t0); }

// The notebook's durations, scaled by --scale.
struct timescale {
  double factor;
  nanoseconds operator()(double notebook_seconds) const {
    return std::chrono::duration_cast<nanoseconds>(
        std::chrono::duration<double>(notebook_seconds * factor));
  }
  double s(double notebook_seconds) const { return notebook_seconds * factor; }
};

bool within(double measured, double expected) {
  return std::abs(measured - expected) <= tour_tolerance * expected;
}

const char* yes_no(bool b) { return b ? "yes" : "no"; }

tour_lesson timed(std::string name, std::string claim, double expected, double measured,
                  bool checks_pass, std::string detail) {
  return {std::move(name),
          std::move(claim),
          expected,
          measured,
          within(measured, expected) && checks_pass,
          std::move(detail)};
}

// The notebook's fetch(url): a 1 s network call, here a timer.
task<std::string> fetch(std::string url, nanoseconds d, std::vector<std::string>* log = nullptr) {
  if (log != nullptr) log->push_back("start " + url);
  co_await sleep_for(d);
  if (log != nullptr) log->push_back("finish " + url);
  co_return url + " -> ok";
}

// A fetch that notes whether it was cancelled.
task<void> cancellable_fetch(nanoseconds d, bool& cancelled) {
  try {
    co_await sleep_for(d);
  } catch (const cancelled_error&) {
    cancelled = true;
    throw;
  }
}

task<void> failing_fetch(nanoseconds d, const char* what) {
  co_await sleep_for(d);
  throw std::runtime_error(what);
}

tour_lesson gather_lesson(const timescale& ts) {
  event_loop loop;
  std::vector<std::string> log, results;
  auto main = [&]() -> task<double> {
    const auto t0 = clock::now();
    auto [a, b, c] =
        co_await gather(fetch("A", ts(1), &log), fetch("B", ts(1), &log), fetch("C", ts(1), &log));
    results = {a, b, c};
    co_return seconds_since(t0);
  };
  const double took = loop.run(main());
  const bool in_order = results == std::vector<std::string>{"A -> ok", "B -> ok", "C -> ok"};
  const bool overlapped =
      log.size() == 6 && std::all_of(log.begin(), log.begin() + 3,
                                     [](const std::string& l) { return l.starts_with("start"); });
  return timed("gather",
               "three one-second fetches under gather finish in about one second, not three: "
               "the waits overlap, and the results come back in order",
               ts.s(1), took, in_order && overlapped,
               "three " + format_tour_seconds(ts.s(1)) + " fetches took " +
                   format_tour_seconds(took) + "; results in order: " + yes_no(in_order) +
                   "; all three started before any finished: " + yes_no(overlapped));
}

tour_lesson create_task_lesson(const timescale& ts) {
  event_loop loop;
  const auto t0 = clock::now();
  clock::time_point began{};
  bool began_at_creation = false;
  auto background = [&]() -> task<std::string> {
    began = clock::now();
    co_return co_await fetch("background", ts(1));
  };
  auto main = [&]() -> task<std::string> {
    task_handle<std::string> t = create_task(background());
    began_at_creation = began != clock::time_point{};
    co_await sleep_for(ts(0.2));  // the foreground work
    co_return co_await t;
  };
  const std::string result = loop.run(main());
  const double took = seconds_since(t0);
  const double began_after = seconds(began - t0);
  const bool overlapped = !began_at_creation && began_after < ts.s(0.2);
  return timed("create_task",
               "create_task schedules a fetch to run in the background: 0.2 s of foreground "
               "work overlaps it, so the whole takes the fetch's 1 s, not 1.2 s",
               ts.s(1), took, overlapped && result == "background -> ok",
               "the task began at main's first await (+" + format_tour_seconds(began_after) +
                   "), ran beside " + format_tour_seconds(ts.s(0.2)) +
                   " of foreground work, all done after " + format_tour_seconds(took));
}

tour_lesson task_group_lesson(const timescale& ts) {
  event_loop loop;
  int finished = 0;
  auto counted = [&](std::string url) -> task<void> {
    co_await fetch(std::move(url), ts(1));
    ++finished;
  };
  auto main = [&]() -> task<double> {
    const auto t0 = clock::now();
    co_await with_task_group([&](task_group& tg) -> task<void> {
      for (const char* url : {"A", "B", "C"}) tg.create_task(counted(url));
      co_return;
    });
    co_return seconds_since(t0);
  };
  const double took = loop.run(main());
  return timed("task_group",
               "the 'async with TaskGroup()' block exits only when all its tasks are done: "
               "three 1 s fetches, about 1 s",
               ts.s(1), took, finished == 3,
               "the group ended after " + format_tour_seconds(took) + " with " +
                   std::to_string(finished) + " of 3 fetches done");
}

tour_lesson task_group_failure_lesson(const timescale& ts) {
  event_loop loop;
  bool a_cancelled = false, b_cancelled = false;
  std::string error;
  auto main = [&]() -> task<double> {
    const auto t0 = clock::now();
    try {
      co_await with_task_group([&](task_group& tg) -> task<void> {
        tg.create_task(cancellable_fetch(ts(1), a_cancelled));
        tg.create_task(cancellable_fetch(ts(1), b_cancelled));
        tg.create_task(failing_fetch(ts(0.5), "fetch C failed"));
        co_return;
      });
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    co_return seconds_since(t0);
  };
  const double took = loop.run(main());
  const bool checks = error == "fetch C failed" && a_cancelled && b_cancelled;
  return timed("task_group_failure",
               "if one task of a TaskGroup fails, the others are cancelled and the error "
               "propagates: C fails at 0.5 s, the 1 s fetches A and B are cancelled",
               ts.s(0.5), took, checks,
               std::string("A cancelled: ") + yes_no(a_cancelled) +
                   ", B cancelled: " + yes_no(b_cancelled) + "; the group rethrew '" + error +
                   "' after " + format_tour_seconds(took));
}

tour_lesson semaphore_lesson(const timescale& ts) {
  event_loop loop;
  int inside = 0, most = 0;
  std::size_t done = 0;
  auto main = [&]() -> task<double> {
    semaphore sem(3);
    auto fetch_limited = [&](int i) -> task<std::string> {
      semaphore::permit p = co_await sem.acquire();  // async with sem:
      most = std::max(most, ++inside);
      co_await sleep_for(ts(0.5));
      --inside;
      co_return "url-" + std::to_string(i) + " done";
    };
    std::vector<task<std::string>> jobs;
    for (int i = 0; i < 9; ++i) jobs.push_back(fetch_limited(i));
    const auto t0 = clock::now();
    done = (co_await gather(std::move(jobs))).size();
    co_return seconds_since(t0);
  };
  const double took = loop.run(main());
  return timed("semaphore",
               "Semaphore(3) caps the tasks in flight: nine 0.5 s tasks, 3 at a time, take "
               "about 1.5 s",
               ts.s(1.5), took, most == 3 && done == 9,
               std::to_string(done) + " tasks took " + format_tour_seconds(took) +
                   "; most in flight at once: " + std::to_string(most));
}

tour_lesson timeout_lesson(const timescale& ts) {
  event_loop loop;
  bool timed_out = false, slow_cancelled = false;
  std::size_t timers_after = 0;
  auto slow = [&]() -> task<std::string> {
    try {
      co_await sleep_for(ts(5));
    } catch (const cancelled_error&) {
      slow_cancelled = true;
      throw;
    }
    co_return "eventually";
  };
  auto main = [&]() -> task<double> {
    const auto t0 = clock::now();
    try {
      co_await timeout(ts(1), slow());
    } catch (const timeout_error&) {
      timed_out = true;
    }
    const double took = seconds_since(t0);
    timers_after = event_loop::current()->pending_timers();
    co_return took;
  };
  const double took = loop.run(main());
  return timed("timeout",
               "timeout(1) around a 5 s wait cancels the wait and raises TimeoutError: it "
               "gives up after 1 s",
               ts.s(1), took, timed_out && slow_cancelled && timers_after == 0,
               std::string("timeout_error: ") + yes_no(timed_out) + " after " +
                   format_tour_seconds(took) + "; the 5 s wait was cancelled: " +
                   yes_no(slow_cancelled) + ", its timer disarmed: " + yes_no(timers_after == 0));
}

// A ticker due every `period` on a fixed schedule, like a heartbeat sharing the
// loop. Late ticks are made up as soon as the loop can (so a short hiccup of
// the machine costs no ticks), and how late each one ran is what the stall
// probe of `ccbench run` measures.
struct tick_log {
  std::vector<clock::time_point> ticks;
  double max_late_s = 0;
};

task<void> ticker(nanoseconds period, tick_log& log) {
  for (auto due = clock::now() + period;; due += period) {
    co_await sleep_until(due);  // ended by cancellation
    const auto now = clock::now();
    log.ticks.push_back(now);
    log.max_late_s = std::max(log.max_late_s, seconds(now - due));
  }
}

struct ticker_run {
  double call_s = 0;         // how long the blocking call took
  int ticks_during = 0;      // ticks while it ran
  int ticks_due = 0;         // ticks due while it ran
  double longest_gap_s = 0;  // between two ticks
  double max_late_s = 0;
};

// What runs beside the ticker: a blocking call on the loop or on a thread, or
// a CPU burst of the same length on a worker process.
enum class beside { block_inline, block_on_thread, cpu_on_process };

ticker_run run_beside_ticker(const timescale& ts, beside work, bool* result_ok = nullptr) {
  const nanoseconds period = ts(0.010), call = ts(1);
  // The worker process starts before the loop (and its threads) exist.
  std::optional<process_pool> procs;
  step burst;
  if (work == beside::cpu_on_process) {
    procs.emplace(1);
    burst.kind = step_kind::cpu;
    burst.duration = call;
    burst.rounds = static_cast<std::uint64_t>(static_cast<double>(call.count()) *
                                              calibrate_cpu_burn(std::chrono::milliseconds(50)));
    burst.seed = 2024;
  }
  event_loop loop;
  tick_log log;
  clock::time_point start{}, end{};
  auto main = [&]() -> task<void> {
    task_handle<void> t = create_task(ticker(period, log));
    co_await sleep_for(period * 7 / 2);  // a few ticks first
    start = clock::now();
    if (work == beside::block_on_thread) {
      co_await to_thread([call] { block_for(call); });
    } else if (work == beside::cpu_on_process) {
      process_offload offload(*procs);
      const std::uint64_t sum = co_await offload.run(std::span(&burst, 1), 0);
      if (result_ok != nullptr) {
        *result_ok = sum == fold_checksum(0, cpu_burn_expected(burst.seed, burst.rounds));
      }
    } else {
      block_for(call);  // time.sleep(1) in a coroutine: holds the loop thread
    }
    end = clock::now();
    co_await sleep_for(period * 3 / 2);
    t.cancel();
    try {
      co_await t;
    } catch (const cancelled_error&) {
    }
  };
  loop.run(main());
  ticker_run r;
  r.call_s = seconds(end - start);
  r.ticks_due = static_cast<int>((end - start) / period);
  r.ticks_during =
      static_cast<int>(std::count_if(log.ticks.begin(), log.ticks.end(),
                                     [&](clock::time_point t) { return t > start && t < end; }));
  for (std::size_t i = 1; i < log.ticks.size(); ++i) {
    r.longest_gap_s = std::max(r.longest_gap_s, seconds(log.ticks[i] - log.ticks[i - 1]));
  }
  r.max_late_s = log.max_late_s;
  return r;
}

std::string ticker_detail(const timescale& ts, const ticker_run& r) {
  return "ticker due every " + format_tour_seconds(ts.s(0.010)) + ": " +
         std::to_string(r.ticks_during) + " of " + std::to_string(r.ticks_due) +
         " ticks during the " + format_tour_seconds(r.call_s) + " call; longest gap " +
         format_tour_seconds(r.longest_gap_s) + ", lateness up to " +
         format_tour_seconds(r.max_late_s);
}

tour_lesson blocking_lesson(const timescale& ts) {
  const ticker_run r = run_beside_ticker(ts, beside::block_inline);
  return timed("blocking_call",
               "a blocking call (time.sleep(1)) in a coroutine freezes every other task until "
               "it returns: never block the loop",
               ts.s(1), r.longest_gap_s, r.ticks_during == 0, ticker_detail(ts, r));
}

tour_lesson to_thread_lesson(const timescale& ts) {
  const ticker_run r = run_beside_ticker(ts, beside::block_on_thread);
  // Measured: how long the ticker kept ticking while the call ran.
  const double ticking_s = r.ticks_during * ts.s(0.010);
  return timed("to_thread",
               "asyncio.to_thread runs the same blocking call on a worker thread: the loop "
               "stays responsive, the ticker keeps ticking through the call",
               ts.s(1), ticking_s, r.longest_gap_s < 0.25 * ts.s(1), ticker_detail(ts, r));
}

tour_lesson process_lesson(const timescale& ts) {
  bool result_ok = false;
  const ticker_run r = run_beside_ticker(ts, beside::cpu_on_process, &result_ok);
  const double ticking_s = r.ticks_during * ts.s(0.010);
  // The burst is sized on this process's core and run on another one, where it
  // may take longer (a shared or throttled core): the claim is that the loop
  // ticks through the whole call, so the call's own length is what the ticking
  // is held to, not the size the burst was made for.
  return timed("cpu_to_process",
               "CPU-bound work goes to a process pool (run_in_executor with a "
               "ProcessPoolExecutor): the loop keeps serving while a worker process computes",
               r.call_s, ticking_s, r.longest_gap_s < 0.25 * ts.s(1) && result_ok,
               ticker_detail(ts, r) + " (a burst sized for " + format_tour_seconds(ts.s(1)) + ")" +
                   "; the burst's result came back " + (result_ok ? "correct" : "WRONG") +
                   " (in C++ there is no GIL: to_thread would free the loop as well; a "
                   "process also isolates the work's memory and crashes)");
}

}  // namespace

std::vector<tour_lesson> run_tour_lessons(
    double scale, const std::function<void(const tour_lesson&)>& on_lesson) {
  const timescale ts{scale};
  std::vector<tour_lesson> lessons;
  auto add = [&](tour_lesson l) {
    lessons.push_back(std::move(l));
    if (on_lesson) on_lesson(lessons.back());
  };
  add(gather_lesson(ts));
  add(create_task_lesson(ts));
  add(task_group_lesson(ts));
  add(task_group_failure_lesson(ts));
  add(semaphore_lesson(ts));
  add(timeout_lesson(ts));
  add(blocking_lesson(ts));
  add(to_thread_lesson(ts));
  add(process_lesson(ts));
  return lessons;
}

}  // namespace ccbench::loop
