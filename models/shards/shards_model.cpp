#include "models/shards/shards_model.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/cpu_set.hpp"
#include "harness/driver.hpp"
#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/loop_primitives.hpp"
#include "models/loop/process_offload.hpp"

namespace ccbench::models {
namespace {

using loop_driver = driver<loop::driver_primitives>;

// A thread's CPU seconds by its CPU-time clock; -1 when it cannot be read.
double cpu_clock_s(clockid_t clock) noexcept {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return -1;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// What one shard measured of itself, written by its thread before it ends,
// and (cpu_s) by the window reader.
struct shard_outcome {
  int cpu = -1;                // the CPU it asked for
  std::vector<int> cpus_seen;  // its affinity after pinning, as the kernel reports it
  std::uint64_t completed = 0;
  double cpu_s = -1;  // its loop thread's CPU over the measured window (not its offload
                      // threads'); -1: not read
};

// Ends a shard's thread only once the window reader is done with its CPU
// clock (a thread's clock goes with the thread): each shard says it has
// finished, then waits to be let go.
struct shard_exit {
  std::atomic<int> finished{0};
  std::latch let_go{1};
};

// One shard: an event loop on this thread, pinned to `cpu`, running its share
// of the load until its clients (or its arrivals) and its probe are done. It
// starts its load once every shard is ready (`ready`): a shard still forking
// its worker processes would otherwise hold the window shut (it opens when
// the last client has its first task) while the others run alone.
void run_shard(model_context& ctx, load_share share, int cpu, int offload_procs, shard_outcome& out,
               first_error& errors, std::latch& ready, shard_exit& leaving) noexcept {
  bool arrived = false;
  try {
    out.cpu = cpu;
    set_precise_timer_slack();
    {
      loop::event_loop::options opts;
      opts.offload_threads = ctx.options().offload_threads;
      loop::event_loop loop(opts);
      loop::driver_primitives prims;
      prims.server = net::session_server();
      // Declared after the loop: destroyed before it, once every client is done.
      // Made before the pin: its dispatcher thread and the worker processes it
      // forks (replacements too) may run on any of the run's CPUs, as the
      // loop's do, so that a cpu step sent away is not held to the shard's
      // one core (the loop's to_thread threads, made later, are pinned with it:
      // they only sleep through blocking calls).
      std::optional<process_pool> procs;
      std::optional<loop::process_offload> to_procs;
      if (ctx.options().offload == offload_mode::process) {
        procs.emplace(offload_procs);
        prims.procs = &to_procs.emplace(*procs);
      }
      // Pinning keeps shards apart; a single shard has none to keep apart
      // from and runs where the scheduler puts it, as `loop` does. A
      // refused pin shows in cpus_seen.
      if (share.count > 1) pin_this_thread(cpu);
      out.cpus_seen = allowed_cpus();
      loop_driver d(ctx, prims, share);
      arrived = true;
      ready.arrive_and_wait();
      loop.run(loop::drive(d, prims));
      out.completed = loop_driver::completed_on_this_thread(ctx);
    }
  } catch (...) {
    if (!arrived) ready.count_down();  // the others must not wait for this one
    errors.record(std::current_exception());
  }
  leaving.finished.fetch_add(1);
  leaving.let_go.wait();
}

// Reads each shard thread's CPU clock at the measured window's edges, as the
// run monitor reads the process's (harness/runner.cpp): when the window
// opens and when it closes, waking at least every 50 ms meanwhile to see a
// window that --precision closed early or shards that have all finished. A
// window whose close it had not read when the shards finished (a busy host)
// is read then, late by the drain, as the monitor does; one whose opening it
// never read is left unknown (cpu_s -1). On the runner's thread, while the
// shards run; lets them go when done.
void measure_window_cpu(model_context& ctx, std::vector<std::thread>& threads,
                        std::vector<shard_outcome>& out, shard_exit& leaving) {
  std::vector<clockid_t> clocks(threads.size());
  std::vector<bool> readable(threads.size());
  for (std::size_t i = 0; i < threads.size(); ++i) {
    readable[i] = pthread_getcpuclockid(threads[i].native_handle(), &clocks[i]) == 0;
  }
  auto read = [&] {
    std::vector<double> s(threads.size(), -1);
    for (std::size_t i = 0; i < threads.size(); ++i) {
      if (readable[i]) s[i] = cpu_clock_s(clocks[i]);
    }
    return s;
  };
  const run_window& window = loop_driver::window(ctx);
  std::vector<double> at_open;
  while (true) {
    const bool all_done =
        leaving.finished.load() >= static_cast<int>(threads.size()) || ctx.aborted();
    const run_window::edges e = window.now_known();
    const time_point now = clock::now();
    if (at_open.empty() && !all_done && window.known() && now >= e.warm_end) {
      at_open = read();
      continue;
    }
    if (!at_open.empty() && (now >= e.end || all_done)) {
      const std::vector<double> at_close = read();
      for (std::size_t i = 0; i < threads.size(); ++i) {
        if (at_open[i] >= 0 && at_close[i] >= 0) out[i].cpu_s = at_close[i] - at_open[i];
      }
      break;
    }
    if (all_done) break;
    time_point next = now + std::chrono::milliseconds(50);
    if (window.known()) next = std::min(next, at_open.empty() ? e.warm_end : e.end);
    std::this_thread::sleep_until(next);
  }
}

// measure_window_cpu(), then lets the shards go, whatever happened.
void read_window_cpu(model_context& ctx, std::vector<std::thread>& threads,
                     std::vector<shard_outcome>& out, shard_exit& leaving) noexcept {
  try {
    measure_window_cpu(ctx, threads, out, leaving);
  } catch (...) {
    // Out of memory for a few numbers: the figures stay unknown (-1).
  }
  leaving.let_go.count_down();
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

// (max - min) / mean of `xs`; 0 when the mean is 0.
double imbalance(const std::vector<double>& xs) {
  if (xs.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
  double sum = 0;
  for (const double x : xs) sum += x;
  const double mean = sum / static_cast<double>(xs.size());
  return mean > 0 ? (*hi - *lo) / mean : 0;
}

void note_shards(model_context& ctx, const std::vector<shard_outcome>& shards) {
  std::vector<std::string> cpus, tasks, cpu_s;
  std::vector<double> completed;
  bool cpu_known = true;
  for (const shard_outcome& s : shards) {
    cpus.push_back(format_cpu_list(s.cpus_seen));
    tasks.push_back(std::to_string(s.completed));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s.cpu_s);
    cpu_s.push_back(buf);
    cpu_known &= s.cpu_s >= 0;
    completed.push_back(static_cast<double>(s.completed));
  }
  ctx.note("shards", static_cast<double>(shards.size()));
  ctx.note("shard_cpus", join(cpus, " "));
  ctx.note("shard_completed", join(tasks, " "));
  // Over the measured window; left out when its edges could not be read.
  if (cpu_known) ctx.note("shard_cpu_s", join(cpu_s, " "));
  ctx.note("shard_imbalance", imbalance(completed));
}

class shards_model final : public model {
  void do_run(model_context& ctx) override {
    const int n = std::max(1, ctx.options().threads);
    // The CPUs this run may use (--cpus restricts them before the model
    // starts): shard i on the i-th, round robin when there are more shards.
    const std::vector<int> cpus = allowed_cpus();
    int offload_procs = 0;
    if (ctx.options().offload == offload_mode::process) {
      // One worker process per core in all, as `loop` has, split over the
      // shards; but two at least each, so that a shard whose worker dies (a
      // crashing step) has another while it is replaced, as `loop` has on two
      // cores.
      const int total = offload_process_count(ctx.options());
      offload_procs = std::max(2, total / n);
      ctx.note("offload_processes", static_cast<double>(offload_procs * n));
    }
    if (ctx.options().offload != offload_mode::none) {
      ctx.note("offload_threads", static_cast<double>(offload_thread_count(ctx.options()) * n));
    }
    loop_driver::use_shares(ctx, static_cast<std::size_t>(n));
    std::vector<shard_outcome> outcomes(static_cast<std::size_t>(n));
    first_error errors;
    std::latch ready(n);
    shard_exit leaving;
    std::vector<std::thread> threads;
    threads.reserve(outcomes.size());
    try {
      for (int i = 0; i < n; ++i) {
        const load_share share{static_cast<std::size_t>(i), static_cast<std::size_t>(n)};
        const int cpu = cpus[static_cast<std::size_t>(i) % cpus.size()];
        threads.emplace_back(run_shard, std::ref(ctx), share, cpu, offload_procs,
                             std::ref(outcomes[static_cast<std::size_t>(i)]), std::ref(errors),
                             std::ref(ready), std::ref(leaving));
      }
    } catch (...) {
      // A shard that could not start: those that did run out their window.
      ready.count_down(n - static_cast<int>(threads.size()));
      errors.record(std::current_exception());
    }
    read_window_cpu(ctx, threads, outcomes, leaving);
    for (std::thread& t : threads) t.join();
    note_shards(ctx, outcomes);
    errors.rethrow_if_any();
  }
};

}  // namespace

std::unique_ptr<model> make_shards_model() { return std::make_unique<shards_model>(); }

}  // namespace ccbench::models
