// A thread pool that starts its threads lazily, up to a limit, and keeps them
// until it is destroyed: Python's ThreadPoolExecutor, which asyncio.to_thread
// uses. The `--offload thread` pool of the loop and fiber models (Asio brings
// its own, asio::thread_pool).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace ccbench {

class lazy_thread_pool {
 public:
  /// What the pool runs; lives wherever its submitter keeps it until run()
  /// has returned.
  class job {
   public:
    /// Runs on a pool thread. Must not throw: hand failures to the submitter.
    virtual void run() noexcept = 0;

   protected:
    ~job() = default;
  };

  /// At most `limit` (>= 1) threads, none started yet.
  explicit lazy_thread_pool(int limit) noexcept : limit_(limit < 1 ? 1 : limit) {}
  /// Runs what is still queued, then joins every thread.
  ~lazy_thread_pool();
  lazy_thread_pool(const lazy_thread_pool&) = delete;
  lazy_thread_pool& operator=(const lazy_thread_pool&) = delete;

  /// Queues `j` for the next idle thread, starting a thread when none is idle
  /// and the limit allows. Any thread. Throws std::system_error when a needed
  /// thread cannot be started (`j` is not queued then).
  void submit(job& j);
  int limit() const noexcept { return limit_; }

 private:
  void work();

  const int limit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<job*> queue_;
  std::vector<std::thread> threads_;
  int idle_ = 0;
  bool stopping_ = false;
};

}  // namespace ccbench
