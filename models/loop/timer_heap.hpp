// The loop's timers: an intrusive binary min-heap on (deadline, arm order), so
// timers with the same deadline fire in the order they were armed. Push, pop
// and cancel are O(log n); a million pending timers cost 24 MiB of heap array.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ccbench::loop {

/// Lives inside the awaiter that armed it (in the coroutine frame); the heap
/// only points at it. Loop thread only.
struct timer_node {
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);
  std::int64_t deadline_ns = 0;  ///< steady_clock nanoseconds
  std::coroutine_handle<> handle;
  std::size_t index = not_armed;  ///< position in the heap, for cancel
  bool armed() const noexcept { return index != not_armed; }
};

class timer_heap {
 public:
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  /// Deadline of the earliest timer; heap must not be empty.
  std::int64_t next_deadline() const noexcept { return entries_.front().deadline; }

  void push(timer_node& node) noexcept;
  /// Removes and returns the earliest timer.
  timer_node& pop() noexcept;
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
  void place(std::size_t i, const entry& e) noexcept {
    entries_[i] = e;
    e.node->index = i;
  }
  void sift_up(std::size_t i, entry e) noexcept;
  void sift_down(std::size_t i, entry e) noexcept;
  void remove_at(std::size_t i) noexcept;

  std::vector<entry> entries_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace ccbench::loop
