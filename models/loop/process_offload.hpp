// Awaiting worker processes from the event loop: `--offload process`, the
// loop's ProcessPoolExecutor (asyncio's run_in_executor with a process pool).
#pragma once

#include <coroutine>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "harness/process_pool.hpp"
#include "models/loop/event_loop.hpp"

namespace ccbench::loop {

/// Sends steps from coroutines on one event loop to a process_pool and resumes
/// each coroutine on the loop when its job ends. Loop thread only (the pool's
/// dispatcher only posts handles back). Destroy it after every job it started
/// has been awaited, and before the pool and the loop.
class process_offload {
 public:
  class awaiter;

  explicit process_offload(process_pool& pool) noexcept : pool_(pool) {}
  process_offload(const process_offload&) = delete;
  process_offload& operator=(const process_offload&) = delete;

  /// `co_await run(steps, acc)` runs `steps` in order on a worker process and
  /// gives `acc` folded with their cpu results; throws std::runtime_error
  /// naming the cause when the job failed (its worker died, the pool broke).
  /// Not cancellable: like to_thread, a cancelled task resumes when the job ends.
  awaiter run(std::span<const step> steps, std::uint64_t acc) noexcept;

 private:
  process_pool& pool_;
};

class process_offload::awaiter final : private process_job {
 public:
  awaiter(process_offload& owner, std::span<const step> steps, std::uint64_t acc) noexcept
      : owner_(owner), steps_(steps), acc_(acc) {}
  awaiter(const awaiter&) = delete;

  bool await_ready() const noexcept { return false; }
  // noinline, and nothing touches `this` after submit(): the dispatcher may post
  // the handle before submit() returns, and once resumed the frame may be gone
  // (llvm/llvm-project#56301; here the loop thread itself resumes it, after this
  // returns, but keep to the rule).
  [[gnu::noinline]] void await_suspend(std::coroutine_handle<> h) {
    event_loop* const loop = event_loop::current();
    waiter_ = h;
    loop_ = loop;
    // Not queued if submit() throws: the loop then has nothing to wait for.
    owner_.pool_.submit(steps_, acc_, *this);
    // Counted after the job is queued (from the local: not `this`). The job
    // may already have ended: its complete_external() then made the count
    // negative for a moment, which only this thread reads.
    loop->begin_external();
  }
  std::uint64_t await_resume() {
    if (failed_) throw std::runtime_error(error_);
    return checksum_;
  }

 private:
  // On the pool's dispatcher thread.
  void done(std::uint64_t checksum, std::string_view error) noexcept override {
    checksum_ = checksum;
    failed_ = !error.empty();
    if (failed_) error_.assign(error);
    event_loop* const loop = loop_;
    const std::coroutine_handle<> h = waiter_;
    loop->complete_external(h);  // last: the loop may resume and free this frame at once
  }

  process_offload& owner_;
  std::span<const step> steps_;
  std::uint64_t acc_;
  event_loop* loop_ = nullptr;
  std::coroutine_handle<> waiter_;
  std::uint64_t checksum_ = 0;
  bool failed_ = false;
  std::string error_;
};

inline process_offload::awaiter process_offload::run(std::span<const step> steps,
                                                     std::uint64_t acc) noexcept {
  return awaiter(*this, steps, acc);
}

}  // namespace ccbench::loop
