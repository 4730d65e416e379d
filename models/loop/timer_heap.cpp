#include "models/loop/timer_heap.hpp"

namespace ccbench::loop {

void timer_heap::push(timer_node& node) noexcept {
  entries_.emplace_back();
  sift_up(entries_.size() - 1, entry{node.deadline_ns, next_seq_++, &node});
}

timer_node& timer_heap::pop() noexcept {
  timer_node& top = *entries_.front().node;
  remove_at(0);
  return top;
}

void timer_heap::cancel(timer_node& node) noexcept {
  if (node.armed()) remove_at(node.index);
}

void timer_heap::remove_at(std::size_t i) noexcept {
  entries_[i].node->index = timer_node::not_armed;
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
