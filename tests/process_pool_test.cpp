// harness/process_pool: results equal local work, any thread may submit, a
// worker's death fails only its job and never hangs, and nothing outlives the pool.
#include "harness/process_pool.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <condition_variable>
#include <fstream>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/runner.hpp"
#include "harness/step_work.hpp"
#include "tests/test_util.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

// Records done(); counts calls so a second one shows.
class recording_job final : public process_job {
 public:
  void done(std::uint64_t checksum, std::string_view error) noexcept override {
    std::lock_guard lock(mutex_);
    ++calls_;
    checksum_ = checksum;
    error_ = error;
    cv_.notify_all();
  }
  /// True once done() was called, within `limit`.
  bool wait(nanoseconds limit) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [this] { return calls_ > 0; });
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::uint64_t checksum() {
    std::lock_guard lock(mutex_);
    return checksum_;
  }
  std::string error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int calls_ = 0;
  std::uint64_t checksum_ = 0;
  std::string error_;
};

step cpu(std::uint64_t seed, std::uint64_t rounds) {
  return {step_kind::cpu, nanoseconds(0), rounds, seed};
}
step io(nanoseconds d) { return {step_kind::io, d, 0, 0}; }
step block(nanoseconds d) { return {step_kind::block, d, 0, 0}; }

std::uint64_t local(std::span<const step> steps, std::uint64_t acc) {
  for (const step& s : steps) {
    if (s.kind == step_kind::cpu) acc = fold_checksum(acc, cpu_burn(s.seed, s.rounds));
  }
  return acc;
}

using testing_util::count_entries;
using testing_util::settled_thread_count;

// Polls until `pred` holds or `limit` passes.
template <class Pred>
bool eventually(Pred pred, nanoseconds limit = 5s) {
  const auto stop = clock::now() + limit;
  while (!pred()) {
    if (clock::now() > stop) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Every worker was reaped: this test process has no child left.
bool no_children() {
  int status;
  return waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

TEST(ProcessPool, ChecksumsFromWorkersEqualLocalWork) {
  process_pool pool(2);
  EXPECT_EQ(pool.workers(), 2);
  EXPECT_EQ(pool.pids().size(), 2u);
  const std::vector<std::vector<step>> jobs = {
      {cpu(1, 1000)},
      {cpu(7, 123456), io(1ms), cpu(8, 10)},
      {block(1ms), cpu(42, 0)},
      {io(2ms)},
      {},  // the probe: acc comes back unchanged
  };
  std::list<recording_job> done(jobs.size());
  auto it = done.begin();
  for (std::size_t i = 0; i < jobs.size(); ++i, ++it) pool.submit(jobs[i], 1000 + i, *it);
  it = done.begin();
  for (std::size_t i = 0; i < jobs.size(); ++i, ++it) {
    ASSERT_TRUE(it->wait(10s)) << "job " << i;
    EXPECT_EQ(it->error(), "") << "job " << i;
    EXPECT_EQ(it->checksum(), local(jobs[i], 1000 + i)) << "job " << i;
    EXPECT_EQ(it->calls(), 1);
  }
}

TEST(ProcessPool, ARequestLargerThanTheSocketBufferArrivesWhole) {
  process_pool pool(1);
  std::vector<step> steps;
  for (std::uint64_t i = 0; i < 50'000; ++i) steps.push_back(cpu(i, 7));  // 1.6 MB of request
  recording_job job;
  pool.submit(steps, 5, job);
  ASSERT_TRUE(job.wait(20s));
  EXPECT_EQ(job.error(), "");
  EXPECT_EQ(job.checksum(), local(steps, 5));
}

TEST(ProcessPool, JobsFromSeveralThreadsEachEndOnceWithTheirChecksum) {
  constexpr int threads = 4, per_thread = 200;
  process_pool pool(2);
  std::vector<std::list<recording_job>> jobs(threads);
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const step s[] = {cpu(static_cast<std::uint64_t>(t * 1000 + i), 5000)};
        pool.submit(s, static_cast<std::uint64_t>(t), jobs[t].emplace_back());
      }
    });
  }
  for (std::thread& t : submitters) t.join();
  for (int t = 0; t < threads; ++t) {
    int i = 0;
    for (recording_job& job : jobs[t]) {
      ASSERT_TRUE(job.wait(20s));
      EXPECT_EQ(job.error(), "");
      const step s[] = {cpu(static_cast<std::uint64_t>(t * 1000 + i), 5000)};
      EXPECT_EQ(job.checksum(), local(s, static_cast<std::uint64_t>(t)));
      EXPECT_EQ(job.calls(), 1);
      ++i;
    }
  }
  EXPECT_EQ(pool.stats().jobs_sent, std::uint64_t{threads * per_thread});
}

TEST(ProcessPool, AWorkerKilledMidJobFailsThatJobAndIsReplaced) {
  const std::size_t fds_before = count_entries("/proc/self/fd");
  std::thread([] {}).join();  // sanitizers start a helper thread at the first one
  const std::size_t threads_before = settled_thread_count();
  {
    process_pool pool(1);
    const pid_t victim = pool.pids().at(0);
    recording_job long_job, queued_job;
    const step long_steps[] = {block(30s)};
    const step short_steps[] = {cpu(3, 1000)};
    pool.submit(long_steps, 0, long_job);
    pool.submit(short_steps, 9, queued_job);
    ASSERT_TRUE(eventually([&] { return pool.stats().jobs_sent == 1; }));
    const auto t0 = clock::now();
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    ASSERT_TRUE(long_job.wait(5s)) << "a dead worker's job must end, not hang";
    EXPECT_LT(clock::now() - t0, 5s);
    EXPECT_EQ(long_job.error(), "worker " + std::to_string(victim) + " died with SIGKILL");
    // The job queued behind it runs on the replacement.
    ASSERT_TRUE(queued_job.wait(10s));
    EXPECT_EQ(queued_job.error(), "");
    EXPECT_EQ(queued_job.checksum(), local(short_steps, 9));
    ASSERT_EQ(pool.pids().size(), 1u);
    EXPECT_NE(pool.pids()[0], victim);
    EXPECT_FALSE(pool.broken());
    EXPECT_EQ(pool.stats().workers_died, 1u);
    EXPECT_EQ(pool.stats().workers_started, 2u);
  }
  EXPECT_TRUE(no_children()) << "a worker was not reaped";
  EXPECT_EQ(count_entries("/proc/self/fd"), fds_before) << "descriptors leaked";
  EXPECT_EQ(settled_thread_count(), threads_before) << "threads left running";
}

TEST(ProcessPool, WorkersThatKeepDyingBreakThePoolAndEveryJobFails) {
  process_pool pool(1);
  for (int i = 0; i < 20 && !pool.broken(); ++i) {
    std::vector<pid_t> pids;
    ASSERT_TRUE(eventually([&] {
      pids = pool.pids();
      return !pids.empty() || pool.broken();
    }));
    if (pids.empty()) break;
    kill(pids[0], SIGKILL);
    ASSERT_TRUE(eventually([&] {
      const std::vector<pid_t> now = pool.pids();
      return now.empty() || now[0] != pids[0];
    }));
  }
  ASSERT_TRUE(pool.broken()) << "idle workers died 20 times in a row and were still replaced";
  recording_job job;
  const step s[] = {cpu(1, 10)};
  pool.submit(s, 0, job);
  ASSERT_TRUE(job.wait(5s));
  EXPECT_NE(job.error().find("process pool broken"), std::string::npos) << job.error();
  EXPECT_NE(job.error().find("died with SIGKILL"), std::string::npos) << job.error();
}

TEST(ProcessPool, DestroyingWithJobsQueuedFailsThemAndReturnsPromptly) {
  const std::size_t fds_before = count_entries("/proc/self/fd");
  std::thread([] {}).join();  // sanitizers start a helper thread at the first one
  const std::size_t threads_before = settled_thread_count();
  std::list<recording_job> jobs(6);
  nanoseconds teardown{};
  {
    std::optional<process_pool> pool(std::in_place, 1);
    const step slow[] = {io(30s)};
    for (recording_job& job : jobs) pool->submit(slow, 0, job);
    ASSERT_TRUE(eventually([&] { return pool->stats().jobs_sent == 1; }));
    const auto t0 = clock::now();
    pool.reset();
    teardown = clock::now() - t0;
  }
  EXPECT_LT(teardown, 2s);
  int i = 0;
  for (recording_job& job : jobs) {
    EXPECT_EQ(job.calls(), 1) << "job " << i;
    EXPECT_EQ(job.error(), i == 0 ? "process pool stopped while the job ran"
                                  : "process pool stopped before the job ran")
        << "job " << i;
    ++i;
  }
  EXPECT_TRUE(no_children());
  EXPECT_EQ(count_entries("/proc/self/fd"), fds_before);
  EXPECT_EQ(settled_thread_count(), threads_before);
}

TEST(ProcessPool, ReportsTheWorkersPeakResidentSet) {
  process_pool pool(2);
  EXPECT_GT(pool.peak_rss_kb(), 0u);
}

// Pids whose parent is this process, from /proc/N/stat (needs no tools).
std::vector<pid_t> children() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    std::getline(f, stat);
    const std::size_t paren = stat.rfind(')');  // the command name may hold spaces
    if (paren == std::string::npos) continue;
    char state;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == getpid()) {
      out.push_back(static_cast<pid_t>(std::stol(e->d_name)));
    }
  }
  closedir(d);
  return out;
}

// The criterion, in process: SIGKILL one worker of a procs run. The run
// ends on time, counts the dead worker's task as an error, and reaps everything.
TEST(ProcsModel, AWorkerKilledMidRunFailsItsTaskAndTheRunEndsOnTime) {
  run_config c;
  c.model = "procs";
  c.options.threads = 2;
  c.workload = "io:50ms";
  c.concurrency = 4;
  c.warmup = 0ms;
  c.duration = 1s;
  c.timeout = 20s;
  pid_t victim = 0;
  std::thread killer([&] {
    std::this_thread::sleep_for(300ms);
    const std::vector<pid_t> workers = children();
    if (workers.empty()) return;
    victim = workers[0];
    kill(victim, SIGKILL);
  });
  const run_record r = run_in_process(c, find_model("procs")->make, calibrate_cpu_burn(10ms));
  killer.join();
  ASSERT_NE(victim, 0) << "no worker process found to kill";
  EXPECT_EQ(r.status, run_status::error);
  EXPECT_EQ(r.errors, 1u) << r.error;
  EXPECT_NE(r.error.find("worker " + std::to_string(victim) + " died with SIGKILL"),
            std::string::npos)
      << r.error;
  // 2 workers x 20 tasks/s: about 39 with the one lost.
  EXPECT_GE(r.completed, 30u) << "the replacement worker should carry on";
  EXPECT_LT(r.wall_s, 1.0 + 2.0);
  EXPECT_TRUE(no_children());
}

}  // namespace
}  // namespace ccbench
