#include "harness/thread_pool.hpp"

#include "harness/step_work.hpp"

namespace ccbench {

lazy_thread_pool::~lazy_thread_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void lazy_thread_pool::submit(job& j) {
  {
    std::unique_lock lock(mutex_);
    queue_.push_back(&j);
    if (idle_ == 0 && static_cast<int>(threads_.size()) < limit_) {
      try {
        threads_.emplace_back([this] { work(); });
      } catch (...) {
        // Don't leave a job behind that nobody may run.
        queue_.pop_back();
        throw;
      }
    }
  }
  cv_.notify_one();
}

void lazy_thread_pool::work() {
  set_precise_timer_slack();  // block steps sleep as precisely as elsewhere
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_;
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) return;  // stopping, nothing left
    job* j = queue_.front();
    queue_.pop_front();
    lock.unlock();
    j->run();
    lock.lock();
  }
}

}  // namespace ccbench
