#include "models/loop/semaphore.hpp"

namespace ccbench::loop {

void semaphore::release() noexcept {
  if (head_ == nullptr) {
    ++available_;
    return;
  }
  // Hand the slot to the longest waiter instead of freeing it, so that a task
  // acquiring right now cannot overtake the queue.
  acquire_awaiter& w = *head_;
  unlink(w);
  w.granted_ = true;
  w.loop_->schedule(w.h_);
}

void semaphore::enqueue(acquire_awaiter& w) noexcept {
  w.prev_ = tail_;
  w.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &w;
  } else {
    head_ = &w;
  }
  tail_ = &w;
  w.queued_ = true;
  ++waiting_;
}

void semaphore::unlink(acquire_awaiter& w) noexcept {
  if (w.prev_ != nullptr) {
    w.prev_->next_ = w.next_;
  } else {
    head_ = w.next_;
  }
  if (w.next_ != nullptr) {
    w.next_->prev_ = w.prev_;
  } else {
    tail_ = w.prev_;
  }
  w.prev_ = w.next_ = nullptr;
  w.queued_ = false;
  --waiting_;
}

}  // namespace ccbench::loop
