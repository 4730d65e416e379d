#include "models/loop/timer_heap.hpp"

namespace ccbench::loop {

void timer_heap::heap_push(const entry& e) noexcept {
  entries_.emplace_back();
  sift_up(entries_.size() - 1, e);
}

std::coroutine_handle<> timer_heap::heap_pop() noexcept {
  const std::coroutine_handle<> h = entries_.front().node->handle;
  remove_at(0);
  return h;
}

void timer_heap::cancel(timer_node& node) noexcept {
  if (!armed(node)) return;
  if ((node.index & in_run) != 0) {
    run_[(node.index & ~in_run) & run_mask_].node = nullptr;
    --run_live_;
    run_trim();
  } else {
    remove_at(node.index);
  }
  node.index = timer_node::not_armed;
}

void timer_heap::run_trim() noexcept {
  while (run_head_ != run_tail_ && run_[run_head_ & run_mask_].node == nullptr) ++run_head_;
  while (run_tail_ != run_head_ && run_[(run_tail_ - 1) & run_mask_].node == nullptr) --run_tail_;
}

void timer_heap::grow_run() noexcept {
  // 64 slots to start (2 KiB); slots keep their absolute positions, so the
  // nodes' indexes stay valid. Allocation failure ends the process, as it
  // does for the heap's vector in a noexcept push.
  const std::size_t capacity = run_capacity_ > 0 ? 2 * run_capacity_ : 64;
  std::unique_ptr<run_entry[]> bigger(new run_entry[capacity]);
  for (std::size_t p = run_head_; p != run_tail_; ++p) {
    bigger[p & (capacity - 1)] = run_[p & run_mask_];
  }
  run_ = std::move(bigger);
  run_capacity_ = capacity;
  run_mask_ = capacity - 1;
}

// Leaves the removed node's index alone (see the header): a pop need not
// touch it, and cancel resets it.
void timer_heap::remove_at(std::size_t i) noexcept {
  const entry last = entries_.back();
  entries_.pop_back();
  if (i == entries_.size()) return;
  // The last entry takes the hole; it may need to move either way.
  if (i > 0 && last.before(entries_[(i - 1) / 2])) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

void timer_heap::sift_up(std::size_t i, entry e) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!e.before(entries_[parent])) break;
    place(i, entries_[parent]);
    i = parent;
  }
  place(i, e);
}

void timer_heap::sift_down(std::size_t i, entry e) noexcept {
  const std::size_t n = entries_.size();
  while (true) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && entries_[child + 1].before(entries_[child])) ++child;
    if (!entries_[child].before(e)) break;
    place(i, entries_[child]);
    i = child;
  }
  place(i, e);
}

}  // namespace ccbench::loop
