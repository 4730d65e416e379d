// The loop's timers, ordered by (deadline, arm order) so that timers with the
// same deadline fire in the order they were armed. Four FIFO runs and an
// intrusive binary min-heap share the order. Servers mostly arm a few timeout
// or sleep lengths over and over, so the deadlines of each length arrive in
// order, and a run takes every timer whose deadline is not earlier than its
// last one: push and pop are O(1) and touch no other timer.
//
// The first run is the fast path: a timer goes there when it fits. One that
// does not goes to the other run whose last deadline is the latest not after
// its own (best fit, as in patience sorting), or to an empty one, so that each
// length ends up with a run; only when none is free does it go to the heap,
// where push, pop and cancel are O(log n). The earliest timer outside the first
// run is kept aside, so a pop compares the first run's front with one value.
// With a single run, one long timer (a 100 ms stall probe among 10 ms sleeps)
// sent every shorter timer after it to the heap: 2.6 times the CPU per task.
//
// Firing a timer does not touch its node: with thousands of sleepers the node
// (in a coroutine frame) is long out of cache, and the frame is about to be
// resumed anyway. So a node's index goes stale when its timer fires, and
// whether a node is still armed is asked of the timers (armed()), which check
// that the slot the index names still holds that node.
#pragma once

#include <bit>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace ccbench::loop {

/// Lives inside the awaiter that armed it (in the coroutine frame); the timers
/// only point at it. Loop thread only.
struct timer_node {
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);
  std::int64_t deadline_ns = 0;  ///< steady_clock nanoseconds
  std::coroutine_handle<> handle;
  /// Where it was queued (heap position, or run and slot), for cancel;
  /// not_armed when it never was or was cancelled. Stale once it fired: see
  /// armed().
  std::size_t index = not_armed;
};

class timer_heap {
 public:
  static constexpr unsigned max_runs = 4;

  timer_heap() = default;
  timer_heap(const timer_heap&) = delete;
  timer_heap& operator=(const timer_heap&) = delete;

  bool empty() const noexcept { return busy_ == 0 && entries_.empty(); }
  /// Timers armed now.
  std::size_t size() const noexcept {
    std::size_t n = entries_.size();
    for (const run& r : runs_) n += r.live;
    return n;
  }
  /// Timers armed now that sit in the heap rather than in a run.
  std::size_t in_heap() const noexcept { return entries_.size(); }
  /// Deadline of the earliest timer; must not be empty.
  std::int64_t next_deadline() const noexcept {
    return first_run_first() ? runs_[0].front().deadline : rest_.deadline;
  }

  /// Whether `node` is armed here (pushed, and neither popped nor cancelled).
  bool armed(const timer_node& node) const noexcept {
    if (node.index == timer_node::not_armed) return false;
    if ((node.index & in_run) != 0) {
      const run& r = runs_[run_of(node.index)];
      const std::size_t pos = node.index & pos_mask;
      return pos >= r.head && pos < r.tail && r.slots[pos & r.mask].node == &node;
    }
    return node.index < entries_.size() && entries_[node.index].node == &node;
  }

  void push(timer_node& node) noexcept {
    const std::uint64_t seq = next_seq_++;
    // seq only grows, so a deadline no earlier than a run's last keeps the run
    // sorted. Both ends of a run hold live timers (trim), so the comparison is
    // with a timer that is still armed.
    if ((busy_ & 1u) == 0 || runs_[0].back().deadline <= node.deadline_ns) [[likely]] {
      append(0, node, seq);
    } else {
      push_elsewhere(node, seq);
    }
  }

  /// Removes the earliest timer if its deadline is `now_ns` or earlier and
  /// returns the coroutine to resume; else a null handle.
  std::coroutine_handle<> pop_due(std::int64_t now_ns) noexcept {
    if (first_run_first()) [[likely]] {
      if (runs_[0].front().deadline > now_ns) return {};
      return pop_run(0);
    }
    // No timer outside the first run reads as due at the end of time, after
    // any `now_ns` the clock gives.
    if (rest_.deadline > now_ns || rest_at_ == none) return {};
    return pop_rest();
  }

  /// Removes every timer whose deadline is `now_ns` or earlier, earliest
  /// first, and passes its coroutine to `fire`, which must not touch the
  /// timers. Returns how many fired. The same as calling pop_due() until it
  /// returns null, but the first run's timers that fire before any other go
  /// in a loop that compares only deadlines (a third of pop_due's work).
  template <class Fire>
  std::size_t pop_all_due(std::int64_t now_ns, Fire&& fire) noexcept {
    std::size_t fired = 0;
    while (true) {
      if ((busy_ & 1u) != 0) {
        // Due, and before the earliest timer elsewhere: ties with that one
        // are left to pop_due, which compares arm order too.
        // In locals: `fire` stores pointers, which the compiler cannot tell
        // from the run's fields, so it would read them again every time.
        run& q = runs_[0];
        const std::int64_t other = rest_.deadline;
        const run_entry* const slots = q.slots.get();
        const std::size_t mask = q.mask, tail = q.tail;
        std::size_t head = q.head, live = q.live;
        for (; head != tail; ++head) {
          const run_entry& e = slots[head & mask];
          if (e.deadline > now_ns || e.deadline >= other) break;
          if (e.node != nullptr) {  // else cancelled: skipped
            fire(std::coroutine_handle<>::from_address(e.handle));
            --live;
          }
        }
        if (head != q.head) {
          fired += q.live - live;
          q.head = head;
          q.live = live;
          trim(0);  // the front must hold a live timer, and an empty run is not busy
        }
      }
      const std::coroutine_handle<> h = pop_due(now_ns);
      if (!h) return fired;
      fire(h);
      ++fired;
    }
  }

  /// Removes the earliest timer and returns the coroutine to resume; must not
  /// be empty.
  std::coroutine_handle<> pop() noexcept { return first_run_first() ? pop_run(0) : pop_rest(); }

  /// Removes `node` if armed.
  void cancel(timer_node& node) noexcept;

 private:
  struct entry {
    std::int64_t deadline;
    std::uint64_t seq;
    timer_node* node;
  };
  // A run keeps the handle too, so that firing reads only the run (32 bytes a
  // slot, two to a cache line).
  struct run_entry {
    std::int64_t deadline;
    std::uint64_t seq;
    timer_node* node;  // null: a cancelled slot
    void* handle;
  };
  struct key {
    std::int64_t deadline;
    std::uint64_t seq;
  };
  template <class A, class B>
  static bool before(const A& a, const B& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  // A ring of slots for absolute positions [head, tail), in (deadline, seq)
  // order. Its first and last slots always hold a timer; cancelled ones in
  // between stay as empty slots until popped past. Positions only grow past a
  // fired timer, so a fired node's position stays below head.
  struct run {
    std::unique_ptr<run_entry[]> slots;
    std::size_t capacity = 0;  // a power of two, 0 before the first push
    std::size_t mask = 0;      // capacity - 1
    std::size_t head = 0, tail = 0;
    std::size_t live = 0;
    const run_entry& front() const noexcept { return slots[head & mask]; }
    const run_entry& back() const noexcept { return slots[(tail - 1) & mask]; }
  };
  // A node's index has this bit set when it sits in a run; bits 61 and 62 then
  // name the run and the rest is its absolute position there (which never
  // changes while it waits, even when the ring grows). Else it is its heap
  // position.
  static constexpr std::size_t in_run = std::size_t{1} << 63;
  static constexpr unsigned run_shift = 61;
  static constexpr std::size_t pos_mask = (std::size_t{1} << run_shift) - 1;
  static unsigned run_of(std::size_t index) noexcept {
    return static_cast<unsigned>((index >> run_shift) & (max_runs - 1));
  }
  // Where the earliest timer outside the first run is: a run (1 to 3), the
  // heap, or none.
  static constexpr unsigned in_heap_at = max_runs;
  static constexpr unsigned none = max_runs + 1;

  // Whether the earliest timer of all is the first run's front.
  bool first_run_first() const noexcept {
    return (busy_ & 1u) != 0 && before(runs_[0].front(), rest_);
  }
  void append(unsigned r, timer_node& node, std::uint64_t seq) noexcept {
    run& q = runs_[r];
    if (q.tail - q.head == q.capacity) [[unlikely]]
      grow(q);
    // Field by field: an entry built on the stack and copied whole is read
    // back with wider loads than it was written with (a store-forwarding stall).
    run_entry& slot = q.slots[q.tail & q.mask];
    slot.deadline = node.deadline_ns;
    slot.seq = seq;
    slot.node = &node;
    slot.handle = node.handle.address();
    node.index = in_run | (std::size_t{r} << run_shift) | q.tail;
    ++q.tail;
    ++q.live;
    busy_ |= 1u << r;
  }
  std::coroutine_handle<> pop_run(unsigned r) noexcept {
    run& q = runs_[r];
    void* const frame = q.front().handle;
    ++q.head;
    if (--q.live == 0 || q.front().node == nullptr) [[unlikely]]
      trim(r);
    return std::coroutine_handle<>::from_address(frame);
  }
  void push_elsewhere(timer_node& node, std::uint64_t seq) noexcept;
  std::coroutine_handle<> pop_rest() noexcept;
  void find_rest() noexcept;
  void trim(unsigned r) noexcept;
  static void grow(run& q) noexcept;

  void place(std::size_t i, const entry& e) noexcept {
    entries_[i] = e;
    e.node->index = i;
  }
  void heap_push(const entry& e) noexcept;
  void sift_up(std::size_t i, entry e) noexcept;
  void sift_down(std::size_t i, entry e) noexcept;
  void remove_at(std::size_t i) noexcept;

  run runs_[max_runs];
  unsigned busy_ = 0;  // bit r set: runs_[r] holds a timer
  // After every timer: what rest_ holds when there is no timer outside the first run.
  static constexpr key after_all{std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::uint64_t>::max()};
  // The earliest timer outside the first run, and where it is.
  key rest_ = after_all;
  unsigned rest_at_ = none;
  std::vector<entry> entries_;  // the heap
  std::uint64_t next_seq_ = 0;
};

}  // namespace ccbench::loop
