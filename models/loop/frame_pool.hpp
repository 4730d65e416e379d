// Recycles coroutine frames. Every task<T> frame (and every task's state) comes
// from here instead of malloc: a thread pops a block of the frame's size class
// off its own free list, with no lock and no atomic. Skynet keeps 1.1 million
// frames alive at once, which sends glibc's malloc down its slow paths (bins,
// consolidation); a frame pool makes a spawn cost a few nanoseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

// Under AddressSanitizer frames come from plain operator new, so that
// use-after-free on a frame is still caught.
#if defined(__SANITIZE_ADDRESS__)
#define CCBENCH_LOOP_POOL_FRAMES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CCBENCH_LOOP_POOL_FRAMES 0
#endif
#endif
#ifndef CCBENCH_LOOP_POOL_FRAMES
#define CCBENCH_LOOP_POOL_FRAMES 1
#endif

namespace ccbench::loop::detail {

/// Per-thread free lists of blocks, one list per 32-byte size class up to
/// max_pooled bytes; bigger requests go to ::operator new. Blocks are carved
/// from 64 KiB slabs that are never returned to malloc: the pool keeps the peak
/// of frames alive at once for the life of the process (1.1 million skynet
/// frames: about 250 MiB). A block may be freed on any thread; it joins that
/// thread's list. A list longer than spill_at hands a batch to a shared pool
/// (under a mutex), and an empty list refills from there before carving a new
/// slab, so memory freed on one thread serves the others. A thread that exits
/// hands its lists to the shared pool.
class frame_pool {
 public:
  static constexpr std::size_t granule = 32;
  static constexpr std::size_t max_pooled = 1024;
  static constexpr std::size_t classes = max_pooled / granule + 1;  // class 0 is unused

  static void* allocate(std::size_t n) {
#if !CCBENCH_LOOP_POOL_FRAMES
    return ::operator new(n);
#else
    const std::size_t c = (n + granule - 1) / granule;
    if (c >= classes) [[unlikely]]
      return ::operator new(n);
    list& l = lists_[c];
    if (block* b = l.head) [[likely]] {
      l.head = b->next;
      --l.count;
      return b;
    }
    return refill(c);
#endif
  }

  static void deallocate(void* p, std::size_t n) noexcept {
#if !CCBENCH_LOOP_POOL_FRAMES
    ::operator delete(p, n);
#else
    const std::size_t c = (n + granule - 1) / granule;
    if (c >= classes) [[unlikely]] {
      ::operator delete(p, n);
      return;
    }
    list& l = lists_[c];
    // A thread that only frees (say, one that ends tasks made elsewhere) must
    // still hand its lists over when it exits: an empty list is where a
    // thread's first block goes, so check there (rarely, off the fast path).
    if (l.head == nullptr) [[unlikely]]
      adopt_thread();
    block* b = static_cast<block*>(p);
    b->next = l.head;
    l.head = b;
    if (++l.count > spill_at) [[unlikely]]
      spill(c);
#endif
  }

 private:
  struct block {
    block* next;
  };
  struct list {
    block* head;
    std::size_t count;
  };
  friend struct frame_pool_shared;
  // Blocks moved between a thread and the shared pool at once.
  static constexpr std::size_t batch = 256;
  // A thread keeps at most this many free blocks of a class to itself.
  static constexpr std::size_t spill_at = 64 * batch;

  static void* refill(std::size_t c);
  static void spill(std::size_t c) noexcept;
  // Makes sure this thread hands its lists over when it exits.
  static void adopt_thread() noexcept;

  // Trivially destructible, so every access is a plain TLS load with no guard;
  // the hand-over at thread exit is registered by refill() (frame_pool.cpp).
  static thread_local list lists_[classes];
};

}  // namespace ccbench::loop::detail
