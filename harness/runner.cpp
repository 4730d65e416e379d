#include "harness/runner.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "harness/resource_usage.hpp"
#include "harness/results_json.hpp"

namespace ccbench {
namespace {

volatile sig_atomic_t running_child = 0;
volatile sig_atomic_t interrupted = 0;

// Aborts the run context at the deadline unless disarmed first. If the model
// still has not returned `grace` after that, calls `abandon` (when given): the
// forked child uses it to report what was measured and exit without joining
// threads that may be stuck in a system call.
class watchdog {
 public:
  watchdog(run_context& ctx, nanoseconds limit, nanoseconds grace, std::function<void()> abandon)
      : thread_([this, &ctx, deadline = clock::now() + limit, grace, abandon = std::move(abandon)] {
          std::unique_lock lock(mutex_);
          if (cv_.wait_until(lock, deadline, [this] { return done_; })) return;
          fired_ = true;
          ctx.abort();
          if (!abandon) return;
          if (cv_.wait_for(lock, grace, [this] { return done_; })) return;
          lock.unlock();
          abandon();
        }) {}
  ~watchdog() { disarm(); }

  void disarm() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

void fill_task_means(run_record& record, const workload& w) {
  record.task_mean_io_us = to_us(w.mean_time(step_kind::io));
  record.task_mean_cpu_us = to_us(w.mean_time(step_kind::cpu));
  record.task_mean_block_us = to_us(w.mean_time(step_kind::block));
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

run_record run_in_process(const run_config& config, model_factory make, double rounds_per_ns,
                          const abandon_handler& on_abandon) {
  run_record record;
  record.config = config;
  const time_point wall0 = clock::now();
  try {
    const step_source source(workload::parse(config.workload), config.seed, rounds_per_ns);
    fill_task_means(record, source.spec());
    run_context ctx(config, source);
    reset_peak_rss();
    record.rss_start_kb = current_rss_kb();
    const resource_snapshot before = resource_snapshot::now();
    bool timed_out = false;
    {
      std::unique_ptr<model> m = make();
      std::function<void()> abandon;
      if (on_abandon) {
        abandon = [&] {
          // The model is stuck (a thread in a long system call): report what
          // was measured without waiting for it. Nothing records after abort().
          run_record partial = record;
          fill_usage(partial, before);
          ctx.finish(partial);
          partial.status = run_status::timeout;
          partial.error =
              timeout_message(config) + "; the model did not stop within 1 s and was abandoned";
          partial.wall_s = to_s(clock::now() - wall0);
          on_abandon(partial);
        };
      }
      watchdog dog(ctx, config.effective_timeout(), std::chrono::seconds(1), std::move(abandon));
      ctx.start();
      try {
        m->run(ctx);
      } catch (const std::exception& e) {
        record.status = run_status::error;
        record.error = std::string("model failed: ") + e.what();
      }
      dog.disarm();
      timed_out = dog.fired();
      m.reset();  // teardown is part of the run's cost
    }
    fill_usage(record, before);
    const run_status model_status = record.status;
    const std::string model_error = record.error;
    ctx.finish(record);
    if (model_status != run_status::ok) {
      record.status = model_status;
      record.error = model_error + (record.error.empty() ? "" : "; " + record.error);
    }
    if (timed_out) {
      record.status = run_status::timeout;
      record.error = "run exceeded its timeout of " + format_duration(config.effective_timeout()) +
                     " (warm-up, window and drain); measurements up to the abort are kept";
    }
  } catch (const std::exception& e) {
    record.status = run_status::error;
    record.error = e.what();
  }
  record.wall_s = to_s(clock::now() - wall0);
  return record;
}

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
    // Child: own process group (so the parent can kill it with its workers),
    // and die with the parent.
    ::close(fds[0]);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    signal(SIGINT, SIG_DFL);
    const int out = fds[1];
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

  setpgid(pid, pid);  // also from the parent, so there is no race with killpg
  running_child = pid;
  ::close(fds[1]);
  const time_point started = clock::now();
  // The child reports by itself 1 s after its timeout even when its model is
  // stuck; this bound is for a child that cannot even do that.
  const time_point hard_deadline = started + config.effective_timeout() + std::chrono::seconds(5);
  std::string text;
  bool killed = false;
  char buf[65536];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(hard_deadline - clock::now());
    if (left.count() <= 0 || interrupted) {
      killpg(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 200)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  killpg(pid, SIGKILL);  // anything the model left behind in its group
  running_child = 0;

  failed.wall_s = to_s(clock::now() - started);
  if (interrupted) {
    failed.error = "interrupted";
    return failed;
  }
  if (killed) {
    failed.status = run_status::timeout;
    failed.error = "run did not finish within its timeout of " +
                   format_duration(config.effective_timeout()) +
                   " plus 5 s; its process was killed (a thread stuck in a system call?)";
    return failed;
  }
  if (!text.empty()) {
    try {
      run_record r = record_from_json_text(text);
      r.config = config;
      if (WIFSIGNALED(status)) {
        r.status = run_status::error;
        r.error = "crashed with " + signal_name(WTERMSIG(status)) + " during teardown";
      }
      return r;
    } catch (const std::exception&) {
      // fall through: a truncated record is a crash
    }
  }
  if (WIFSIGNALED(status)) {
    failed.error = "model crashed with " + signal_name(WTERMSIG(status));
  } else {
    failed.error = "run process exited with status " + std::to_string(WEXITSTATUS(status)) +
                   " without a result";
  }
  return failed;
}

void interrupt_isolated_run() noexcept {
  interrupted = 1;
  if (running_child > 0) killpg(running_child, SIGKILL);
}

}  // namespace ccbench
