#include "models/loop/frame_pool.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace ccbench::loop::detail {

#if CCBENCH_LOOP_POOL_FRAMES

thread_local frame_pool::list frame_pool::lists_[frame_pool::classes];

// What threads hand over: chains of free blocks per class, and every slab ever
// carved (so that leak checkers see the blocks as reachable).
struct frame_pool_shared {
  std::mutex mutex;
  std::vector<frame_pool::list> chains[frame_pool::classes];
  std::vector<void*> slabs;

  // Never destroyed: frames may still be freed (and so handed over) while
  // static objects are torn down at exit.
  static frame_pool_shared& get() {
    static frame_pool_shared* const shared = new frame_pool_shared;
    return *shared;
  }

  // Gives each thread's lists to the shared pool when the thread exits.
  struct exit_guard {
    bool armed = false;
    ~exit_guard();
  };
};

namespace {
thread_local frame_pool_shared::exit_guard exit_guard;
// Set once the guard has run: blocks freed by later thread-exit code stay on
// the dead thread's lists (a leak of a few blocks, at exit only).
thread_local bool exited = false;
}  // namespace

frame_pool_shared::exit_guard::~exit_guard() {
  exited = true;
  frame_pool_shared& shared = get();
  std::lock_guard lock(shared.mutex);
  for (std::size_t c = 1; c < frame_pool::classes; ++c) {
    frame_pool::list& l = frame_pool::lists_[c];
    if (l.head != nullptr) shared.chains[c].push_back(l);
    l = {};
  }
}

void frame_pool::adopt_thread() noexcept {
  if (!exited) exit_guard.armed = true;  // first use on this thread constructs the guard
}

void* frame_pool::refill(std::size_t c) {
  adopt_thread();
  list& l = lists_[c];
  frame_pool_shared& shared = frame_pool_shared::get();
  {
    std::lock_guard lock(shared.mutex);
    if (!shared.chains[c].empty()) {
      l = shared.chains[c].back();
      shared.chains[c].pop_back();
    }
  }
  if (l.head == nullptr) {
    // Carve a 64 KiB slab (under glibc's mmap threshold) into blocks of this
    // class. Blocks are multiples of 32 bytes, so each keeps operator new's
    // 16-byte alignment; the slab starts on a cache line, so a block whose
    // size is a multiple of 64 (a 512-byte client frame) spans no more lines
    // than it must, and the loop's prefetch of its first lines covers it.
    const std::size_t size = c * granule;
    const std::size_t n = std::max<std::size_t>(1, (std::size_t{64} << 10) / size);
    char* const slab = static_cast<char*>(::operator new (n* size, std::align_val_t{64}));
    {
      std::lock_guard lock(shared.mutex);
      shared.slabs.push_back(slab);
    }
    block* head = nullptr;
    for (std::size_t i = n; i-- > 0;) {
      block* b = reinterpret_cast<block*>(slab + i * size);
      b->next = head;
      head = b;
    }
    l = {head, n};
  }
  block* b = l.head;
  l.head = b->next;
  --l.count;
  return b;
}

void frame_pool::spill(std::size_t c) noexcept {
  // Hands the `batch` most recently freed blocks over: the rest stay for this
  // thread.
  list& l = lists_[c];
  block* last = l.head;
  for (std::size_t i = 1; i < batch; ++i) last = last->next;
  const list chain{l.head, batch};
  l.head = last->next;
  l.count -= batch;
  last->next = nullptr;
  frame_pool_shared& shared = frame_pool_shared::get();
  try {
    std::lock_guard lock(shared.mutex);
    shared.chains[c].push_back(chain);
  } catch (...) {
    // No memory for the shared list: keep the blocks here after all.
    last->next = l.head;
    l.head = chain.head;
    l.count += batch;
  }
}

#endif

}  // namespace ccbench::loop::detail
