#include "harness/run_context.hpp"

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cstdio>

#include "harness/run_record.hpp"

namespace ccbench {
namespace {

std::atomic<std::uint64_t> next_generation{1};

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace

// ---- exactly-once ledger ---------------------------------------------------

// One bit per issued task id, in lazily allocated chunks: completing a task sets
// its bit, a second completion finds it set, and at the end the unset bits are
// the tasks that never completed.
class run_context::ledger {
 public:
  static constexpr unsigned chunk_bits = 20;  // 2^20 ids (128 KiB) a chunk
  static constexpr std::size_t max_chunks = std::size_t{1} << 16;
  using word = std::atomic<std::uint64_t>;

  ledger() : chunks_(new std::atomic<word*>[max_chunks]) {
    for (std::size_t i = 0; i < max_chunks; ++i) chunks_[i].store(nullptr);
  }
  ~ledger() {
    for (std::size_t i = 0; i < max_chunks; ++i) delete[] chunks_[i].load();
  }

  std::uint64_t issue() noexcept {
    const std::uint64_t id = next_.fetch_add(1, std::memory_order_relaxed);
    const std::size_t c = id >> chunk_bits;
    if (c < max_chunks && chunks_[c].load(std::memory_order_acquire) == nullptr) {
      std::lock_guard lock(grow_);
      if (chunks_[c].load(std::memory_order_relaxed) == nullptr) {
        chunks_[c].store(new word[std::size_t{1} << (chunk_bits - 6)](), std::memory_order_release);
      }
    }
    return id;
  }

  /// False when `id` was completed before (or was never issued).
  bool mark(std::uint64_t id) noexcept {
    if (id >= next_.load(std::memory_order_relaxed)) return false;
    const std::size_t c = id >> chunk_bits;
    if (c >= max_chunks) return true;  // beyond 2^36 tasks: not tracked
    word* chunk = chunks_[c].load(std::memory_order_acquire);
    const std::uint64_t bit = std::uint64_t{1} << (id & 63);
    const std::uint64_t old = chunk[(id & ((std::uint64_t{1} << chunk_bits) - 1)) >> 6].fetch_or(
        bit, std::memory_order_relaxed);
    return (old & bit) == 0;
  }

  std::uint64_t issued() const noexcept { return next_.load(std::memory_order_relaxed); }

  /// Ids issued but never marked; call after every thread has stopped.
  std::uint64_t missing() const noexcept {
    const std::uint64_t n = issued();
    std::uint64_t marked = 0;
    for (std::size_t c = 0; c < max_chunks && (std::uint64_t{c} << chunk_bits) < n; ++c) {
      const word* chunk = chunks_[c].load();
      if (chunk == nullptr) continue;
      for (std::size_t w = 0; w < (std::size_t{1} << (chunk_bits - 6)); ++w) {
        marked += static_cast<std::uint64_t>(std::popcount(chunk[w].load()));
      }
    }
    const std::uint64_t tracked =
        std::min<std::uint64_t>(n, std::uint64_t{max_chunks} << chunk_bits);
    return tracked - marked;
  }

 private:
  std::atomic<std::uint64_t> next_{0};
  std::unique_ptr<std::atomic<word*>[]> chunks_;
  std::mutex grow_;
};

// ---- per-thread recorders --------------------------------------------------

struct run_context::shard {
  histogram latency;
  std::uint64_t completed = 0;
  std::uint64_t drained = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

run_context::run_context(const run_config& config, const step_source& source)
    : config_(config),
      source_(source),
      generation_(next_generation.fetch_add(1)),
      ledger_(std::make_unique<ledger>()) {
  probe_.period_ = config.stall_period;
  probe_.threshold_ = config.stall_threshold;
}

run_context::~run_context() = default;

run_context::shard& run_context::local_shard() noexcept {
  // Each thread finds its own shard without a lock after the first call; the
  // generation (not the address) tells runs apart, as a context may be
  // allocated where the previous one was.
  thread_local std::uint64_t owner = 0;
  thread_local shard* mine = nullptr;
  if (owner != generation_) {
    std::lock_guard lock(mutex_);
    shards_.push_back(std::make_unique<shard>());
    mine = shards_.back().get();
    owner = generation_;
  }
  return *mine;
}

void run_context::start() noexcept {
  start_ = clock::now();
  warm_end_ = start_ + config_.warmup;
  window_end_ = warm_end_ + config_.duration;
  probe_.warm_end_ = warm_end_;
  probe_.window_end_ = window_end_;
  probe_.deadline_ = start_ + probe_.period_;
}

std::optional<task> run_context::next_task() noexcept {
  const time_point now = clock::now();
  if (now >= window_end_ || aborted()) return std::nullopt;
  return task{ledger_->issue(), now};
}

bool run_context::stopping() const noexcept { return aborted() || clock::now() >= window_end_; }

void run_context::record_error(shard& s, std::string what) noexcept {
  ++s.errors;
  if (s.first_error.empty()) s.first_error = std::move(what);
}

void run_context::complete(const task& t, std::uint64_t checksum) noexcept {
  const time_point now = clock::now();
  shard& s = local_shard();
  if (!ledger_->mark(t.id)) {
    record_error(s, "task " + std::to_string(t.id) + " completed twice");
    return;
  }
  if (const std::uint64_t want = source_.expected_checksum(t.id); checksum != want) {
    record_error(s, "task " + std::to_string(t.id) + " returned checksum " + hex(checksum) +
                        ", expected " + hex(want) + " (a step was skipped or cut short)");
    return;
  }
  if (now < warm_end_) return;
  s.latency.record((now - t.intended_start).count());
  if (now < window_end_) {
    ++s.completed;
  } else {
    ++s.drained;
  }
}

void run_context::fail(const task& t, std::string_view what) noexcept {
  shard& s = local_shard();
  ledger_->mark(t.id);
  record_error(s, "task " + std::to_string(t.id) + ": " + std::string(what));
}

void run_context::note(std::string key, std::string value) {
  std::lock_guard lock(mutex_);
  for (auto& [k, v] : facts_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  facts_.emplace_back(std::move(key), std::move(value));
}

void stall_probe::woke() noexcept {
  const time_point now = clock::now();
  const std::int64_t late = std::max<std::int64_t>(0, (now - deadline_).count());
  if (deadline_ >= warm_end_ && deadline_ < window_end_) {
    lateness_.record(late);
    if (late > threshold_.count()) {
      ++over_;
      over_total_ns_ += late;
    }
  }
  deadline_ = now + period_;
}

void run_context::finish(run_record& out) {
  std::lock_guard lock(mutex_);
  histogram latency;
  std::uint64_t errors = 0;
  std::string first_error;
  out.completed = out.drained = 0;
  for (const auto& s : shards_) {
    latency.merge(s->latency);
    out.completed += s->completed;
    out.drained += s->drained;
    errors += s->errors;
    if (first_error.empty()) first_error = s->first_error;
  }
  out.issued = ledger_->issued();
  if (const std::uint64_t lost = ledger_->missing(); lost > 0 && !aborted()) {
    errors += lost;
    if (first_error.empty()) {
      first_error = std::to_string(lost) + " issued tasks never completed";
    }
  }
  out.errors = errors;
  if (errors > 0) {
    out.status = run_status::error;
    out.error = std::to_string(errors) + " task error" + (errors == 1 ? "" : "s") +
                "; first: " + first_error;
  }

  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  out.latency.count = latency.count();
  out.latency.p50 = us(latency.value_at_percentile(50));
  out.latency.p90 = us(latency.value_at_percentile(90));
  out.latency.p99 = us(latency.value_at_percentile(99));
  out.latency.p999 = us(latency.value_at_percentile(99.9));
  out.latency.max = us(latency.max());
  out.latency.mean = latency.mean() / 1e3;
  out.latency.min = us(latency.min());

  const histogram& lag = probe_.lateness_;
  out.stall.samples = lag.count();
  out.stall.p50 = us(lag.value_at_percentile(50));
  out.stall.p99 = us(lag.value_at_percentile(99));
  out.stall.max = us(lag.max());
  out.stall.count_over_threshold = probe_.over_;
  out.stall.threshold_us = us(probe_.threshold_.count());
  out.stall.total_ms = static_cast<double>(probe_.over_total_ns_) / 1e6;

  out.window_s = to_s(config_.duration);
  out.throughput_per_s = out.window_s > 0 ? static_cast<double>(out.completed) / out.window_s : 0;
  out.model_facts = facts_;
}

}  // namespace ccbench
