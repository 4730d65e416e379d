#include "models/loop/task_group.hpp"

#include <algorithm>

namespace ccbench::loop::detail {

task_scope::~task_scope() {
  for (task_state* c : children_) {
    c->scope = nullptr;
    c->release();
  }
}

void task_scope::add(task_state& s) {
  // May throw: before anything changes. Doubling, as push_back would: an
  // exact reserve(size + 1) reallocates on every add, and a group of 10,000
  // clients then copies 400 MB of pointers while it starts.
  if (children_.size() == children_.capacity()) {
    children_.reserve(std::max<std::size_t>(8, 2 * children_.capacity()));
  }
  s.add_ref();
  s.scope_index = children_.size();
  children_.push_back(&s);
  s.scope = this;
  ++live_;
  if (cancelling_) s.cancel();
}

void task_scope::cancel_all() noexcept {
  cancelling_ = true;
  for (task_state* c : children_) c->cancel();  // false for those already done
}

void task_scope::task_done(task_state& s) noexcept {
  --live_;
  // Forget the child at once (swap-remove): a task_group that lives for a whole
  // run (the loop model's open loop creates a task per arrival) must not keep
  // every finished task's frame. Whoever needs the outcome (gather, a
  // task_handle) holds a reference of its own. The scope's reference is dropped
  // without freeing: the child is inside its own finish(), which frees the
  // frame once it sees no reference left.
  task_state* last = children_.back();
  children_[s.scope_index] = last;
  last->scope_index = s.scope_index;
  children_.pop_back();
  s.scope = nullptr;
  --s.refs;
  // The owner rethrows the first failure; later ones are dropped by design, so
  // none of them is an unhandled exception.
  s.retrieved = true;
  const bool failed = s.body_promise->error && (cancellation_fails_ || !s.cancelled);
  if (failed && !first_error_) {
    first_error_ = s.body_promise->error;
    cancel_all();
  }
  if (live_ == 0 && waiter_ != nullptr) waiter_->wake();
}

void task_scope::wait_awaiter::wake() noexcept {
  if (deadline_ns_ >= 0) {
    if (!loop_->armed(node_)) return;  // the deadline passed first: the timer made it ready
    loop_->disarm(node_);
  }
  loop_->schedule(h_);
}

void task_scope::wait_awaiter::cancel() noexcept {
  // Passed on to every child; this wait now ends when they all have, not at
  // the deadline (unless the deadline already made it ready).
  scope_.cancel_all();
  if (loop_->armed(node_)) {
    loop_->disarm(node_);
    deadline_ns_ = -1;
  }
}

task_scope::wait_status task_scope::wait_awaiter::await_resume() noexcept {
  scope_.waiter_ = nullptr;
  if (point_.consume()) return wait_status::cancelled;
  return scope_.live_ == 0 ? wait_status::done : wait_status::timed_out;
}

task<void> task_scope::join() {
  bool cancelled = co_await wait() == wait_status::cancelled;
  // Children still running here: the cancellation was pending before the wait.
  while (live_ > 0) {
    cancel_all();
    if (co_await wait() == wait_status::cancelled) cancelled = true;
  }
  if (cancelled) throw cancelled_error();
  if (first_error_) std::rethrow_exception(first_error_);
}

}  // namespace ccbench::loop::detail
