// The loop's timers, ordered by (deadline, arm order) so that timers with the
// same deadline fire in the order they were armed. Two structures share the
// order: a FIFO run that takes every timer whose deadline is not earlier than
// the run's last one, and an intrusive binary min-heap for the rest. Servers
// mostly arm one timeout or sleep length over and over, so deadlines arrive in
// order and the run makes push and pop O(1), touching no other timer. Out of
// order deadlines go to the heap: push, pop and cancel are O(log n) there.
//
// Firing a timer does not touch its node: with thousands of sleepers the node
// (in a coroutine frame) is long out of cache, and the frame is about to be
// resumed anyway. So a node's index goes stale when its timer fires, and
// whether a node is still armed is asked of the timers (armed()), which check
// that the slot the index names still holds that node.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace ccbench::loop {

/// Lives inside the awaiter that armed it (in the coroutine frame); the timers
/// only point at it. Loop thread only.
struct timer_node {
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);
  std::int64_t deadline_ns = 0;  ///< steady_clock nanoseconds
  std::coroutine_handle<> handle;
  /// Where it was queued (heap position or run slot), for cancel; not_armed
  /// when it never was or was cancelled. Stale once it fired: see armed().
  std::size_t index = not_armed;
};

class timer_heap {
 public:
  timer_heap() = default;
  timer_heap(const timer_heap&) = delete;
  timer_heap& operator=(const timer_heap&) = delete;

  bool empty() const noexcept { return size() == 0; }
  /// Timers armed now.
  std::size_t size() const noexcept { return entries_.size() + run_live_; }
  /// Deadline of the earliest timer; must not be empty.
  std::int64_t next_deadline() const noexcept {
    return run_first() ? run_front().deadline : entries_.front().deadline;
  }

  /// Whether `node` is armed here (pushed, and neither popped nor cancelled).
  bool armed(const timer_node& node) const noexcept {
    if (node.index == timer_node::not_armed) return false;
    if ((node.index & in_run) != 0) {
      const std::size_t pos = node.index & ~in_run;
      return pos >= run_head_ && pos < run_tail_ && run_[pos & run_mask_].node == &node;
    }
    return node.index < entries_.size() && entries_[node.index].node == &node;
  }

  void push(timer_node& node) noexcept {
    const std::uint64_t seq = next_seq_++;
    // seq only grows, so a deadline no earlier than the run's last keeps the
    // run sorted. Both ends of the run hold live timers (run_trim), so the
    // comparison is with a timer that is still armed.
    if (run_live_ == 0 || node.deadline_ns >= run_[(run_tail_ - 1) & run_mask_].deadline)
        [[likely]] {
      if (run_tail_ - run_head_ == run_capacity_) [[unlikely]]
        grow_run();
      // Field by field: an entry built on the stack and copied whole is read
      // back with wider loads than it was written with (a store-forwarding stall).
      run_entry& slot = run_[run_tail_ & run_mask_];
      slot.deadline = node.deadline_ns;
      slot.seq = seq;
      slot.node = &node;
      slot.handle = node.handle.address();
      node.index = in_run | run_tail_;
      ++run_tail_;
      ++run_live_;
      return;
    }
    heap_push({node.deadline_ns, seq, &node});
  }

  /// Removes the earliest timer if its deadline is `now_ns` or earlier and
  /// returns the coroutine to resume; else a null handle.
  std::coroutine_handle<> pop_due(std::int64_t now_ns) noexcept {
    if (run_first()) [[likely]] {
      if (run_front().deadline > now_ns) return {};
      return pop_run();
    }
    if (entries_.empty() || entries_.front().deadline > now_ns) return {};
    return heap_pop();
  }

  /// Removes the earliest timer and returns the coroutine to resume; must not
  /// be empty.
  std::coroutine_handle<> pop() noexcept { return run_first() ? pop_run() : heap_pop(); }

  /// Removes `node` if armed.
  void cancel(timer_node& node) noexcept;

 private:
  struct entry {
    std::int64_t deadline;
    std::uint64_t seq;
    timer_node* node;
    bool before(const entry& o) const noexcept {
      return deadline < o.deadline || (deadline == o.deadline && seq < o.seq);
    }
  };
  // The run keeps the handle too, so that firing reads only the run (32
  // bytes a slot, two to a cache line).
  struct run_entry {
    std::int64_t deadline;
    std::uint64_t seq;
    timer_node* node;  // null: a cancelled slot
    void* handle;
    bool before(const entry& o) const noexcept {
      return deadline < o.deadline || (deadline == o.deadline && seq < o.seq);
    }
  };
  // A node's index has this bit set when it sits in the run; the rest is then
  // its absolute run position (which never changes while it waits, even when
  // the ring grows, and is never reused), else its heap position.
  static constexpr std::size_t in_run = std::size_t{1} << 63;
  void place(std::size_t i, const entry& e) noexcept {
    entries_[i] = e;
    e.node->index = i;
  }
  void heap_push(const entry& e) noexcept;
  std::coroutine_handle<> heap_pop() noexcept;
  void sift_up(std::size_t i, entry e) noexcept;
  void sift_down(std::size_t i, entry e) noexcept;
  void remove_at(std::size_t i) noexcept;

  const run_entry& run_front() const noexcept { return run_[run_head_ & run_mask_]; }
  // Whether the earliest timer is the run's first (else the heap's top).
  bool run_first() const noexcept {
    return run_live_ > 0 && (entries_.empty() || run_front().before(entries_.front()));
  }
  std::coroutine_handle<> pop_run() noexcept {
    void* const frame = run_front().handle;
    ++run_head_;
    if (--run_live_ == 0 || run_front().node == nullptr) [[unlikely]]
      run_trim();
    return std::coroutine_handle<>::from_address(frame);
  }
  void run_trim() noexcept;
  void grow_run() noexcept;

  std::vector<entry> entries_;  // the heap
  // The run: a ring of slots for absolute positions [run_head_, run_tail_), in
  // (deadline, seq) order. Its first and last slots always hold a timer;
  // cancelled ones in between stay as empty slots until popped past.
  std::unique_ptr<run_entry[]> run_;
  std::size_t run_capacity_ = 0;  // a power of two, 0 before the first push
  std::size_t run_mask_ = 0;      // run_capacity_ - 1
  std::size_t run_head_ = 0, run_tail_ = 0;
  std::size_t run_live_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace ccbench::loop
