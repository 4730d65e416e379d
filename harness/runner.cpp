#include "harness/runner.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "harness/cpu_set.hpp"
#include "harness/host_noise.hpp"
#include "harness/net_session.hpp"
#include "harness/percentile_interval.hpp"
#include "harness/process_pool.hpp"
#include "harness/resource_usage.hpp"
#include "harness/results_json.hpp"
#include "harness/run_context.hpp"

namespace ccbench {
namespace {

volatile sig_atomic_t running_child = 0;
volatile sig_atomic_t interrupted = 0;

// Watches one run from a thread of its own. At the window's edges (once the
// run knows them: a closed loop's ramp) it reads the CPU of this process and
// of its worker processes, and at the close the workers' memory, so that the
// window's figures are the window's alone. At the deadline (the timeout after
// the run's start, and again after a closed loop's ramp, which the timeout's
// warm-up, window and drain do not include) it aborts the run;
// if the model has not returned `grace` after that, it calls `abandon` (the
// forked child uses it to report what was measured and exit without joining
// threads that may be stuck in a system call).
class run_monitor {
 public:
  run_monitor(run_context& ctx, nanoseconds limit, nanoseconds grace, std::function<void()> abandon,
              const run_config& config = {})
      : ctx_(ctx),
        precision_(config.precision),
        min_window_(config.duration),
        check_every_(std::max<nanoseconds>(config.series_interval, std::chrono::milliseconds(50))),
        limit_(limit),
        deadline_(clock::now() + limit),
        grace_(grace),
        abandon_(std::move(abandon)),
        server_pid_(config.server_pid),
        thread_([this] { watch(); }) {}
  ~run_monitor() { stop(); }
  run_monitor(const run_monitor&) = delete;
  run_monitor& operator=(const run_monitor&) = delete;

  /// run_context's on_open: the window's edges are known. Any thread.
  void window_opened(const run_window& w) {
    {
      std::lock_guard lock(mutex_);
      warm_end_ = w.warm_end();
      window_end_ = w.end();
      next_check_ = warm_end_ + min_window_;
      deadline_ = std::max(deadline_, w.origin() + limit_);
    }
    cv_.notify_all();
  }
  /// The model returned: stop watching.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
  }
  /// The window's CPU and the workers' memory into `r`, when both edges were read.
  void fill(run_record& r) const {
    std::lock_guard lock(mutex_);
    if (phase_ != phase::closed) return;
    r.cpu_window_user_s = window_cpu_.user_s;
    r.cpu_window_sys_s = window_cpu_.sys_s;
    r.workers_pss_kb = workers_pss_kb_;
    if (stat_open_ && stat_close_) {
      static const double tick_s = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
      // The delay server the suite started for this run is its apparatus, not
      // the host's noise: its CPU counts as the run's own.
      const host_noise n =
          host_noise::between(*stat_open_, *stat_close_,
                              window_cpu_.user_s + window_cpu_.sys_s + server_window_s_, tick_s);
      // The readings are taken when this thread wakes at the edges, later on a
      // busy host: the figures are for the time between them, scaled to the
      // window's length, so that their share of the window is right.
      const double read_s = to_s(stat_close_at_ - stat_open_at_);
      const double scale = read_s > 0 ? to_s(window_end_ - warm_end_) / read_s : 1.0;
      r.host_steal_s = n.steal_s * scale;
      r.host_foreign_cpu_s = n.foreign_cpu_s * scale;
      r.host_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    }
  }

 private:
  enum class phase { warming, measuring, closed };

  static resource_snapshot usage() { return resource_snapshot::now(live_worker_pids()); }

  void watch() {
    std::unique_lock lock(mutex_);
    while (!done_) {
      time_point next = deadline_;
      if (phase_ == phase::warming) next = std::min(next, warm_end_);
      if (phase_ == phase::measuring) next = std::min(next, window_end_);
      if (phase_ == phase::measuring && precision_ > 0) next = std::min(next, next_check_);
      const time_point seen_warm_end = warm_end_;  // changes once: the window opened
      cv_.wait_until(lock, next, [&] { return done_ || warm_end_ != seen_warm_end; });
      const time_point now = clock::now();
      // Stopped once the window had closed but before this thread woke to read
      // its close (the model returned first, on a busy host): read it now, late
      // by the drain, rather than leave the window's CPU unknown.
      if (done_ && !(phase_ == phase::measuring && now >= window_end_)) return;
      if (phase_ == phase::warming && now >= warm_end_) {
        lock.unlock();
        const resource_snapshot at_open = usage();
        const std::optional<proc_stat_times> stat_open = proc_stat_times::now();
        const double server_open = server_pid_ > 0 ? process_cpu_s(server_pid_) : -1;
        const time_point stat_open_at = clock::now();
        lock.lock();
        server_open_s_ = server_open;
        at_open_ = at_open;
        stat_open_ = stat_open;
        stat_open_at_ = stat_open_at;
        phase_ = phase::measuring;
      } else if (phase_ == phase::measuring && precision_ > 0 && now >= next_check_ &&
                 now < window_end_) {
        // --precision: past the minimum window, is the p99 sure enough yet?
        lock.unlock();
        const bool sure = precise_enough(ctx_.window_latency_so_far(), precision_);
        lock.lock();
        next_check_ = now + check_every_;
        // Twice in a row: the check sees each thread's intervals only once it
        // has moved past them, so a burst of slow tasks in the current one
        // shows at the next check, not this one.
        sure_in_a_row_ = sure ? sure_in_a_row_ + 1 : 0;
        if (sure_in_a_row_ >= 2) {
          ctx_.close_window_at(now);
          window_end_ = now;
        }
      } else if (phase_ == phase::measuring && now >= window_end_) {
        lock.unlock();
        const resource_snapshot at_close = usage();
        const std::optional<proc_stat_times> stat_close = proc_stat_times::now();
        const double server_close = server_pid_ > 0 ? process_cpu_s(server_pid_) : -1;
        const time_point stat_close_at = clock::now();
        std::int64_t pss = -1;  // -1: no worker process
        for (const pid_t pid : live_worker_pids()) {
          if (const std::int64_t kb = pss_kb(pid); kb >= 0)
            pss = std::max<std::int64_t>(pss, 0) + kb;
        }
        lock.lock();
        window_cpu_ = at_close - at_open_;
        stat_close_ = stat_close;
        stat_close_at_ = stat_close_at;
        server_window_s_ =
            server_open_s_ >= 0 && server_close >= 0 ? server_close - server_open_s_ : 0;
        workers_pss_kb_ = pss;
        phase_ = phase::closed;
      } else if (now >= deadline_) {
        fired_ = true;
        ctx_.abort();
        if (!abandon_) return;
        if (cv_.wait_for(lock, grace_, [this] { return done_; })) return;
        lock.unlock();
        abandon_();
        return;
      }
    }
  }

  // The window's p99 so far has a 95% interval within `precision` of it.
  static bool precise_enough(const histogram& h, double precision) {
    const double p99 = static_cast<double>(h.value_at_percentile(99));
    const value_interval ci = percentile_interval(h, 99);
    if (!ci.bounded() || p99 <= 0) return false;
    const percentile_ci us{static_cast<double>(ci.low_ns), static_cast<double>(ci.high_ns)};
    return relative_half_width(us, p99) <= precision;
  }

  run_context& ctx_;
  const double precision_;        // --precision; 0: the window is fixed
  const nanoseconds min_window_;  // --duration: the window is at least this long
  const nanoseconds check_every_;
  time_point next_check_ = time_point::max();
  int sure_in_a_row_ = 0;
  const nanoseconds limit_;
  time_point deadline_;
  const nanoseconds grace_;
  const std::function<void()> abandon_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  // Unknown until the window opens.
  time_point warm_end_ = time_point::max(), window_end_ = time_point::max();
  phase phase_ = phase::warming;
  resource_snapshot at_open_, window_cpu_;
  // The machine's CPU at the window's edges: the host's noise (host_noise.hpp).
  std::optional<proc_stat_times> stat_open_, stat_close_;
  // The suite's delay server for this run (-1: none), and its CPU over the window.
  int server_pid_ = -1;
  double server_open_s_ = -1, server_window_s_ = 0;
  time_point stat_open_at_{}, stat_close_at_{};
  std::int64_t workers_pss_kb_ = -1;
  std::thread thread_;  // last: starts once the rest is set
};

void fill_task_means(run_record& record, const workload& w) {
  record.task_mean_io_us = to_us(w.mean_time(step_kind::io));
  record.task_mean_cpu_us = to_us(w.mean_time(step_kind::cpu));
  record.task_mean_block_us = to_us(w.mean_time(step_kind::block));
  record.task_mean_net_us = to_us(w.mean_time(step_kind::net));
}

// The connections the run's clients opened to the delay server, and those
// opened once the load had started (the warm-up's start), into `r`.
void count_connections(run_record& r, const run_window& w) {
  const std::vector<time_point> opened = net::connections_opened();
  r.net_connections = static_cast<std::int64_t>(opened.size());
  const time_point start = w.known() ? w.origin() : time_point::max();
  r.net_connections_late =
      std::count_if(opened.begin(), opened.end(), [start](time_point t) { return t >= start; });
}

// CPU, context switches and peak RSS since `before`, into `r`.
void fill_usage(run_record& r, const resource_snapshot& before) {
  const resource_snapshot used = resource_snapshot::now() - before;
  r.cpu_user_s = used.user_s;
  r.cpu_sys_s = used.sys_s;
  r.ctx_voluntary = used.voluntary;
  r.ctx_involuntary = used.involuntary;
  r.rss_peak_kb = peak_rss_kb();
}

std::string timeout_message(const run_config& config) {
  return "run exceeded its timeout of " + format_duration(config.effective_timeout()) +
         " (warm-up, window and drain); what was measured until then is kept";
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

namespace {

// What the model said of itself when it failed, kept apart from what finish()
// finds (task errors), and merged after it.
struct model_outcome {
  run_status status = run_status::ok;
  std::string error;
};

// Runs the model until it returns, under the monitor.
model_outcome run_model(model& m, run_context& ctx, run_monitor& monitor) {
  model_context view(ctx);
  try {
    m.prepare(view);
    ctx.start([&monitor](const run_window& w) { monitor.window_opened(w); });
    m.run(view);
  } catch (const std::exception& e) {
    return {run_status::error, std::string("model failed: ") + e.what()};
  } catch (...) {
    return {run_status::error, "model failed: an exception that is not a std::exception"};
  }
  return {};
}

// The record's status once everything is in: a timeout beats a model's error,
// which beats the tasks' errors (which it keeps beside its own).
void settle_status(run_record& r, const model_outcome& model, bool timed_out,
                   const run_context& ctx, const run_config& config) {
  if (model.status != run_status::ok) {
    r.status = model.status;
    r.error = model.error + (r.error.empty() ? "" : "; " + r.error);
  }
  if (timed_out) {
    r.status = run_status::timeout;
    r.error = "run exceeded its timeout of " + format_duration(config.effective_timeout()) +
              " (warm-up, window and drain); measurements up to the abort are kept";
    if (!ctx.window().known()) {
      r.error += "; the window never opened: " + std::to_string(ctx.clients_started()) + " of " +
                 std::to_string(config.concurrency) + " clients had started";
    } else if (r.ramp_ms >= 1000) {
      r.error += " (after the clients' ramp of " +
                 format_duration(std::chrono::milliseconds(std::llround(r.ramp_ms))) + ")";
    }
  }
}

}  // namespace

run_record run_in_process(const run_config& config, model_factory make, double rounds_per_ns,
                          const abandon_handler& on_abandon) {
  run_record record;
  record.config = config;
  const time_point wall0 = clock::now();
  try {
    // --cpus: this thread, and every thread and process the run starts from
    // it (the monitor, the model's), keeps to the first k CPUs; restored after
    // the run for --in-process.
    const cpu_restriction restricted(config.cpus > 0 ? first_cpus(config.cpus)
                                                     : std::vector<int>{});
    record.cpu_set = format_cpu_list(allowed_cpus());
    const step_source source(workload::parse(config.workload), config.seed, rounds_per_ns,
                             config.faults);
    fill_task_means(record, source.spec());
    // Net steps talk to the run's delay server: its connections are the
    // session's, closed when the model has returned (below, or on unwinding).
    struct net_scope {
      bool active = false;
      ~net_scope() {
        if (active) net::end_session();
      }
    } net_steps;
    if (source.spec().has(step_kind::net)) {
      if (config.server.empty()) {
        throw std::runtime_error("the workload has net steps but no delay server was given");
      }
      net::begin_session(net::parse_endpoint(config.server, "server", false));
      net_steps.active = true;
    }
    run_context ctx(config, source);
    reset_peak_rss();
    record.rss_start_kb = current_rss_kb();
    const resource_snapshot before = resource_snapshot::now();
    std::unique_ptr<model> m = make();
    std::function<void()> abandon;
    run_monitor* monitor_ptr = nullptr;
    if (on_abandon) {
      abandon = [&] {
        // The model is stuck (a thread in a long system call): report what
        // was measured without waiting for it. Nothing records after abort().
        run_record partial = record;
        fill_usage(partial, before);
        monitor_ptr->fill(partial);
        ctx.finish(partial);
        partial.status = run_status::timeout;
        partial.error =
            timeout_message(config) + "; the model did not stop within 1 s and was abandoned";
        partial.wall_s = to_s(clock::now() - wall0);
        on_abandon(partial);
      };
    }
    run_monitor monitor(ctx, config.effective_timeout(), std::chrono::seconds(1),
                        std::move(abandon), config);
    monitor_ptr = &monitor;
    const model_outcome outcome = run_model(*m, ctx, monitor);
    monitor.stop();
    m.reset();  // teardown is part of the run's cost
    if (net_steps.active) count_connections(record, ctx.window());
    fill_usage(record, before);
    monitor.fill(record);
    ctx.finish(record);
    settle_status(record, outcome, monitor.fired(), ctx, config);
  } catch (const std::exception& e) {
    record.status = run_status::error;
    record.error = e.what();
  }
  record.wall_s = to_s(clock::now() - wall0);
  return record;
}

namespace {

// In the forked child: its own process group (so the parent can kill it with
// its workers), death with the parent, the run, and its record down `out`.
[[noreturn]] void run_child(int out, pid_t parent, const run_config& config, model_factory make,
                            double rounds_per_ns) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  signal(SIGINT, SIG_DFL);
  auto send = [out](const run_record& r) {
    const std::string text = record_to_json_text(r);
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(out, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(3);
      done += static_cast<std::size_t>(n);
    }
  };
  const run_record r = run_in_process(config, make, rounds_per_ns, [&](const run_record& p) {
    send(p);
    _exit(0);  // abandon the stuck model: its threads die with the process
  });
  send(r);
  _exit(0);
}

// What the parent read from the child: its record's text, whether it had to
// be killed, and how it ended.
struct child_report {
  std::string text;
  bool killed = false;
  int wait_status = 0;
};

// Reads the child's record until EOF, killing its process group at
// `hard_deadline` or on an interrupt; then reaps it and anything it left.
child_report await_child(pid_t pid, int in, time_point hard_deadline) {
  child_report out;
  char buf[65536];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(hard_deadline - clock::now());
    if (left.count() <= 0 || interrupted) {
      killpg(pid, SIGKILL);
      out.killed = true;
      break;
    }
    pollfd p{in, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 200)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(in);
  while (waitpid(pid, &out.wait_status, 0) < 0 && errno == EINTR) {
  }
  killpg(pid, SIGKILL);  // anything the model left behind in its group
  return out;
}

// The record the child sent, or a failed one saying why there is none.
run_record record_of(const child_report& c, const run_config& config, run_record failed) {
  if (interrupted) {
    failed.error = "interrupted";
    return failed;
  }
  if (c.killed) {
    failed.status = run_status::timeout;
    failed.error = "run did not finish within twice its timeout of " +
                   format_duration(config.effective_timeout()) +
                   " plus 5 s; its process was killed (a thread stuck in a system call?)";
    return failed;
  }
  if (!c.text.empty()) {
    try {
      run_record r = record_from_json_text(c.text);
      r.config = config;
      if (WIFSIGNALED(c.wait_status)) {
        r.status = run_status::error;
        r.error = "crashed with " + signal_name(WTERMSIG(c.wait_status)) + " during teardown";
      }
      return r;
    } catch (const std::exception&) {
      // fall through: a truncated record is a crash
    }
  }
  if (WIFSIGNALED(c.wait_status)) {
    failed.error = "model crashed with " + signal_name(WTERMSIG(c.wait_status));
  } else {
    failed.error = "run process exited with status " + std::to_string(WEXITSTATUS(c.wait_status)) +
                   " without a result";
  }
  return failed;
}

}  // namespace

run_record run_isolated(const run_config& config, model_factory make, double rounds_per_ns) {
  run_record failed;
  failed.config = config;
  failed.status = run_status::error;

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    failed.error = std::string("cannot create a pipe: ") + std::strerror(errno);
    return failed;
  }
  // The child inherits this process's heap. Free memory left resident in it
  // (the results text of earlier runs, say) would be reused by the run without
  // a page fault, and its memory would read low: hand it back first.
  malloc_trim(0);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    failed.error = std::string("cannot fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return failed;
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], parent, config, make, rounds_per_ns);
  }
  setpgid(pid, pid);  // also from the parent, so there is no race with killpg
  running_child = pid;
  ::close(fds[1]);
  const time_point started = clock::now();
  // The child reports by itself 1 s after its timeout even when its model is
  // stuck; this bound is for a child that cannot even do that. The timeout
  // runs twice at most: once for a closed loop's ramp, once from the warm-up.
  const child_report report =
      await_child(pid, fds[0], started + 2 * config.effective_timeout() + std::chrono::seconds(5));
  running_child = 0;
  failed.wall_s = to_s(clock::now() - started);
  return record_of(report, config, std::move(failed));
}

void interrupt_isolated_run() noexcept {
  interrupted = 1;
  if (running_child > 0) killpg(running_child, SIGKILL);
}

}  // namespace ccbench
