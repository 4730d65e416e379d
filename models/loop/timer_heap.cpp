#include "models/loop/timer_heap.hpp"

namespace ccbench::loop {

void timer_heap::heap_push(const entry& e) noexcept {
  entries_.emplace_back();
  sift_up(entries_.size() - 1, e);
}

void timer_heap::push_elsewhere(timer_node& node, std::uint64_t seq) noexcept {
  // Best fit among the other runs, else a free one, else the heap.
  unsigned best = none;
  std::int64_t best_last = 0;
  for (unsigned b = busy_ & ~1u; b != 0; b &= b - 1) {
    const unsigned r = static_cast<unsigned>(std::countr_zero(b));
    const std::int64_t last = runs_[r].back().deadline;
    if (last <= node.deadline_ns && (best == none || last > best_last)) {
      best = r;
      best_last = last;
    }
  }
  if (best == none) best = static_cast<unsigned>(std::countr_zero(~busy_));  // max_runs: all busy
  if (best < max_runs) {
    append(best, node, seq);
  } else {
    heap_push({node.deadline_ns, seq, &node});
  }
  // Behind the earliest timer of a run that was not empty, so it can only be
  // the earliest outside the first run if it went to an empty run or became
  // the heap's top.
  const key k{node.deadline_ns, seq};
  if (before(k, rest_)) {
    rest_ = k;
    rest_at_ = best;
  }
}

std::coroutine_handle<> timer_heap::pop_rest() noexcept {
  std::coroutine_handle<> h;
  if (rest_at_ == in_heap_at) {
    h = entries_.front().node->handle;
    remove_at(0);
  } else {
    h = pop_run(rest_at_);
  }
  find_rest();
  return h;
}

void timer_heap::find_rest() noexcept {
  rest_ = after_all;
  rest_at_ = none;
  for (unsigned b = busy_ & ~1u; b != 0; b &= b - 1) {
    const unsigned r = static_cast<unsigned>(std::countr_zero(b));
    const run_entry& f = runs_[r].front();
    if (rest_at_ == none || before(f, rest_)) {
      rest_ = {f.deadline, f.seq};
      rest_at_ = r;
    }
  }
  if (!entries_.empty() && (rest_at_ == none || before(entries_.front(), rest_))) {
    rest_ = {entries_.front().deadline, entries_.front().seq};
    rest_at_ = in_heap_at;
  }
}

void timer_heap::cancel(timer_node& node) noexcept {
  if (!armed(node)) return;
  if ((node.index & in_run) != 0) {
    const unsigned r = run_of(node.index);
    run& q = runs_[r];
    q.slots[(node.index & pos_mask) & q.mask].node = nullptr;
    --q.live;
    trim(r);
    if (r != 0) find_rest();
  } else {
    remove_at(node.index);
    find_rest();
  }
  node.index = timer_node::not_armed;
}

void timer_heap::trim(unsigned r) noexcept {
  run& q = runs_[r];
  while (q.head != q.tail && q.slots[q.head & q.mask].node == nullptr) ++q.head;
  while (q.tail != q.head && q.slots[(q.tail - 1) & q.mask].node == nullptr) --q.tail;
  if (q.live == 0) busy_ &= ~(1u << r);
}

void timer_heap::grow(run& q) noexcept {
  // 64 slots to start (2 KiB); slots keep their absolute positions, so the
  // nodes' indexes stay valid. Allocation failure ends the process, as it
  // does for the heap's vector in a noexcept push.
  const std::size_t capacity = q.capacity > 0 ? 2 * q.capacity : 64;
  std::unique_ptr<run_entry[]> bigger(new run_entry[capacity]);
  for (std::size_t p = q.head; p != q.tail; ++p) {
    bigger[p & (capacity - 1)] = q.slots[p & q.mask];
  }
  q.slots = std::move(bigger);
  q.capacity = capacity;
  q.mask = capacity - 1;
}

// Leaves the removed node's index alone (see the header): a pop need not
// touch it, and cancel resets it.
void timer_heap::remove_at(std::size_t i) noexcept {
  const entry last = entries_.back();
  entries_.pop_back();
  if (i == entries_.size()) return;
  // The last entry takes the hole; it may need to move either way.
  if (i > 0 && before(last, entries_[(i - 1) / 2])) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

void timer_heap::sift_up(std::size_t i, entry e) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(e, entries_[parent])) break;
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
    if (child + 1 < n && before(entries_[child + 1], entries_[child])) ++child;
    if (!before(entries_[child], e)) break;
    place(i, entries_[child]);
    i = child;
  }
  place(i, e);
}

}  // namespace ccbench::loop
