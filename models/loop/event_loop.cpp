#include "models/loop/event_loop.hpp"

#include "models/loop/task_group.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

namespace ccbench::loop {
namespace {

// The ready loop prefetches the frame this many places ahead in the queue,
// this many cache lines of it (about the part a resumption touches: the
// resume pointer, the promise and the first locals). Chosen by measuring the
// closed loop with 10,000 sleeping clients, whose frames do not fit in cache.
constexpr std::size_t frame_prefetch_ahead = 4;
constexpr int frame_prefetch_lines = 8;
// A turn that fired more timers than this reads the clock again after them,
// so that what runs next and starts from clock::last() does not count the
// whole batch as its own (32 pops take well under a microsecond).
constexpr std::size_t restamp_after_fired = 32;

std::int64_t now_ns() noexcept { return clock::now().time_since_epoch().count(); }

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

namespace detail {

void offload_job::run() noexcept {
  // Read before execute(): once the loop has the handle, the frame (and this
  // job) may be gone.
  const std::coroutine_handle<> h = waiter;
  event_loop* const l = loop;
  execute();
  l->complete_external(h);
}

}  // namespace detail

namespace detail {

bool task_state::cancel() noexcept {
  if (done) return false;
  // Already pending: the hook has been told (or there was none), and a cycle of
  // tasks awaiting each other must not recurse forever.
  if (cancel_requested) return true;
  cancel_requested = true;
  if (suspended_at != nullptr) suspended_at->cancel();
  return true;
}

void task_state::release() noexcept {
  if (--refs == 0 && done) {
    report_unretrieved();
    if (frame_gone) {
      frame_pool::deallocate(this, frame_prefix + frame_size);
    } else {
      std::coroutine_handle<>::from_address(frame()).destroy();  // frees the state too
    }
  }
}

void task_state::start() noexcept {
  if (cancel_requested) {
    cancel_requested = false;
    body_promise->error = std::make_exception_ptr(cancelled_error());
    if (!finish()) std::coroutine_handle<>::from_address(frame()).destroy();
    return;
  }
  std::coroutine_handle<>::from_address(frame()).resume();
}

bool task_state::finish() noexcept {
  done = true;
  suspended_at = nullptr;
  cancel_requested = false;
  if (body_promise->error) {
    try {
      std::rethrow_exception(body_promise->error);
    } catch (const cancelled_error&) {
      cancelled = true;
    } catch (...) {
    }
  }
  loop->forget(*this);
  if (scope != nullptr) scope->task_done(*this);
  // Scheduled, not resumed: the awaiters run from the ready queue, so a chain
  // of tasks ending one after another never deepens the stack.
  for (join_node* j = std::exchange(joiners, nullptr); j != nullptr;) {
    join_node* next_joiner = j->next;
    loop->schedule(j->waiter);
    j = next_joiner;
  }
  if (refs > 0) return true;
  report_unretrieved();
  return false;
}

void task_state::report_unretrieved() noexcept {
  if (cancelled || retrieved || body_promise == nullptr || !body_promise->error) return;
  loop->report_unhandled(body_promise->error);
}

}  // namespace detail

event_loop::event_loop(options opts) : ready_(new void*[1024]), ready_mask_(1023) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  offload_limit_ = opts.offload_threads > 0 ? opts.offload_threads : std::min(32, cores + 4);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const int e = errno;
    ::close(epoll_fd_);
    errno = e;
    throw_errno("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up eventfd; a watched descriptor has its fd_waiters
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    const int e = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    errno = e;
    throw_errno("epoll_ctl");
  }
}

event_loop::~event_loop() {
  pool_.reset();  // joins the offload threads: no call still writes into a frame
  // Tasks that never finished (run() threw, or was never called) are torn down
  // newest first, since a task's frame usually holds what younger tasks wait on
  // (a semaphore, an event, a scope): their awaiters unwind while it still
  // exists. A task's state goes when its last reference does.
  while (tasks_ != nullptr) {
    detail::task_state& s = *tasks_;
    forget(s);
    s.done = s.cancelled = true;  // nothing to report
    s.add_ref();                  // the state outlives its frame until the last reference goes
    std::coroutine_handle<>::from_address(s.frame()).destroy();
    s.body_promise = nullptr;
    s.release();
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void event_loop::push_ready(std::coroutine_handle<> h) noexcept { push_ready_raw(h.address()); }

void event_loop::push_ready_raw(void* entry) noexcept {
  if (count_ == ready_mask_ + 1) [[unlikely]] {
    // Grow: unroll the ring into a buffer twice the size (`new void*[n]` leaves
    // it uninitialized).
    const std::size_t capacity = 2 * (ready_mask_ + 1);
    std::unique_ptr<void*[]> bigger(new void*[capacity]);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = ready_[(head_ + i) & ready_mask_];
    ready_ = std::move(bigger);
    ready_mask_ = capacity - 1;
    head_ = 0;
  }
  ready_[(head_ + count_) & ready_mask_] = entry;
  ++count_;
}

void event_loop::run_ready() noexcept {
  void* const entry = ready_[head_];
  head_ = (head_ + 1) & ready_mask_;
  --count_;
  if ((reinterpret_cast<std::uintptr_t>(entry) & start_tag) != 0) [[unlikely]] {
    reinterpret_cast<detail::task_state*>(reinterpret_cast<std::uintptr_t>(entry) & ~start_tag)
        ->start();
    return;
  }
  std::coroutine_handle<>::from_address(entry).resume();
}

void event_loop::schedule(std::coroutine_handle<> h) noexcept { push_ready(h); }

detail::task_state& event_loop::start_task(void* frame, detail::promise_base& p) noexcept {
  detail::task_state& s = detail::state_before(frame);
  s.loop = this;
  s.body_promise = &p;
  s.spawned = true;
  p.state = &s;
  p.root = true;
  p.consumed = true;
  s.next = tasks_;
  if (tasks_ != nullptr) tasks_->prev = &s;
  tasks_ = &s;
  ++task_count_;
  // Queued as the state with the low bit set: the loop starts it through
  // task_state::start (which may find it cancelled), not by resuming.
  push_ready_raw(reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(&s) | start_tag));
  return s;
}

void event_loop::forget(detail::task_state& s) noexcept {
  if (s.prev != nullptr) {
    s.prev->next = s.next;
  } else {
    tasks_ = s.next;
  }
  if (s.next != nullptr) s.next->prev = s.prev;
  s.prev = s.next = nullptr;
  --task_count_;
}

void event_loop::report_unhandled(std::exception_ptr e) noexcept {
  if (!unhandled_) unhandled_ = std::move(e);
}

void event_loop::post(std::coroutine_handle<> h) noexcept {
  bool first;
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(h);
    first = !has_posted_.exchange(true, std::memory_order_acq_rel);
  }
  if (first) {
    const std::uint64_t one = 1;
    // Only the transition to "something posted" writes: the loop takes the
    // whole batch at once. EAGAIN (counter full) still leaves it readable.
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
}

void event_loop::take_posted() noexcept {
  {
    std::lock_guard lock(posted_mutex_);
    posted_spare_.swap(posted_);
    has_posted_.store(false, std::memory_order_release);
  }
  for (std::coroutine_handle<> h : posted_spare_) push_ready(h);
  posted_spare_.clear();
}

void event_loop::finish_offload(std::coroutine_handle<> h) noexcept {
  post(h);
  // After post: the loop may only conclude "nothing can ever wake me" once the
  // handle is visible in the posted queue.
  offloads_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
}

void event_loop::offload(detail::offload_job& job) {
  if (!pool_) pool_ = std::make_unique<lazy_thread_pool>(offload_limit_);
  job.loop = this;
  // Counted before the job is queued: a pool thread may finish it at once.
  begin_external();
  try {
    pool_->submit(job);
  } catch (...) {
    offloads_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    throw;
  }
}

void event_loop::fire_timers(std::int64_t now) noexcept {
  // The ready ring in locals for the batch, for the same reason as in
  // pop_all_due; push_ready_raw() only when it must grow.
  void** ring = ready_.get();
  std::size_t mask = ready_mask_, head = head_, count = count_;
  const std::size_t fired = timers_.pop_all_due(now, [&](std::coroutine_handle<> h) {
    if (count == mask + 1) [[unlikely]] {
      count_ = count;
      push_ready_raw(h.address());
      ring = ready_.get();
      mask = ready_mask_;
      head = head_;
      count = count_;
      return;
    }
    ring[(head + count) & mask] = h.address();
    ++count;
  });
  count_ = count;
  if (fired > restamp_after_fired) now_ns();
}

void event_loop::watch(int fd, detail::fd_waiters& w) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &w;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl(EPOLL_CTL_ADD)");
}

void event_loop::unwatch(int fd) noexcept {
  epoll_event ev{};
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
}

void event_loop::wait_for_events(std::int64_t timeout_ns) {
  // Room for many ready sockets at once (a delay server's or a client's).
  constexpr int max_events = 64;
  epoll_event events[max_events];
  int n;
  if (timeout_ns < 0) {
    n = epoll_wait(epoll_fd_, events, max_events, -1);
  } else if (timeout_ns == 0) {
    n = epoll_wait(epoll_fd_, events, max_events, 0);
  } else {
    // epoll_pwait2 takes nanoseconds; epoll_wait would round 1 ms sleeps to
    // whole milliseconds.
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
                static_cast<long>(timeout_ns % 1'000'000'000)};
    n = epoll_pwait2(epoll_fd_, events, max_events, &ts, nullptr);
    if (n < 0 && errno == ENOSYS) {
      n = epoll_wait(epoll_fd_, events, max_events,
                     static_cast<int>((timeout_ns + 999'999) / 1'000'000));
    }
  }
  if (n < 0) {
    if (errno == EINTR) return;
    throw_errno("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    auto* w = static_cast<detail::fd_waiters*>(events[i].data.ptr);
    if (w == nullptr) {
      std::uint64_t value;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &value, sizeof value);
      continue;
    }
    // An error or a hang-up wakes both directions: their next call reports it.
    const std::uint32_t e = events[i].events;
    constexpr std::uint32_t failed = EPOLLERR | EPOLLHUP;
    if ((e & (EPOLLIN | EPOLLRDHUP | failed)) != 0 && w->reader) {
      push_ready(std::exchange(w->reader, nullptr));
      --fd_waiting_;
    }
    if ((e & (EPOLLOUT | failed)) != 0 && w->writer) {
      push_ready(std::exchange(w->writer, nullptr));
      --fd_waiting_;
    }
  }
}

template <class Done>
void event_loop::turn_until(Done done) {
  // True right after a blocking wait: it has just collected the readiness.
  bool just_waited = false;
  while (!done()) {
    // No timer, no clock read. With timers, this reading is also the one a
    // coroutine that a timer woke may open its stretch at (clock::last()).
    if (!timers_.empty()) fire_timers(now_ns());
    if (has_posted_.load(std::memory_order_acquire)) take_posted();
    // Coroutines wait on sockets and others are ready: look for readiness
    // without blocking, as asyncio's select(timeout=0) does (none: no cost),
    // unless the wait that woke this turn just did (asyncio selects once a
    // turn too).
    if (fd_waiting_ != 0 && count_ != 0 && !just_waited) wait_for_events(0);
    just_waited = false;
    if (count_ == 0) {
      std::int64_t timeout = -1;
      if (!timers_.empty()) {
        timeout = std::max<std::int64_t>(0, timers_.next_deadline() - now_ns());
      } else if (offloads_in_flight_.load(std::memory_order_acquire) == 0 &&
                 !has_posted_.load(std::memory_order_acquire) && fd_waiting_ == 0) {
        throw std::logic_error(
            "event_loop: every task is waiting on something that can never happen "
            "(no ready task, timer, offloaded call, socket or other outside operation)");
      }
      wait_for_events(timeout);
      just_waited = true;
      continue;
    }
    // Run what is ready now; what they make ready runs after the next check of
    // timers and posted work, so neither can starve.
    for (std::size_t n = count_; n > 0 && !done(); --n) {
      // The frame resumed a few places from now: with thousands of tasks
      // parked it is out of cache, so start fetching it (a prefetch never
      // faults, wherever a small frame ends).
      if (count_ > frame_prefetch_ahead) {
        // From the task_state before a task's frame (or, for a start entry,
        // from the state itself).
        const char* ahead =
            static_cast<const char*>(ready_[(head_ + frame_prefetch_ahead) & ready_mask_]) -
            detail::frame_prefix;
        for (int line = 0; line < frame_prefetch_lines; ++line) {
          __builtin_prefetch(ahead + 64 * line);
        }
      }
      run_ready();
    }
  }
}

void event_loop::run_until_done(detail::task_state& main) {
  if (running_ != nullptr) throw std::logic_error("event_loop::run called on a loop thread");
  running_ = this;
  struct reset_current {
    ~reset_current() { running_ = nullptr; }
  } reset;
  // Timer slack is per thread; 1 ns makes 1 ms sleeps accurate to ~20 us.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  turn_until([&main] { return main.done; });
  // asyncio.run's clean-up: cancel what main left running and let it end.
  // cancel() only schedules, so the list does not change under the walk.
  for (detail::task_state* s = tasks_; s != nullptr; s = s->next) s->cancel();
  turn_until([this] { return tasks_ == nullptr; });
}

void event_loop::rethrow_unhandled() {
  if (unhandled_) std::rethrow_exception(std::exchange(unhandled_, nullptr));
}

void event::set() noexcept {
  set_ = true;
  event_loop* loop = event_loop::current();
  for (waiter* w : waiters_) {
    w->queued_ = false;
    loop->schedule(w->h_);
  }
  waiters_.clear();
}

void event::remove(waiter& w) noexcept {
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
  w.queued_ = false;
}

}  // namespace ccbench::loop
