#include "harness/run_context.hpp"

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <random>

#include "harness/model.hpp"
#include "harness/percentile_interval.hpp"
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
//
// Threads take ids in blocks of 64 (one word of bits) and gather the bits they
// set in one word before OR-ing them in: a closed loop completes its tasks in
// about the order it took them, so this is one atomic operation per 64 tasks
// instead of two per task. (A locked instruction also waits for every store
// before it to reach the cache: with thousands of coroutine frames out of
// cache, that is where a task's time went.)
class run_context::ledger {
 public:
  static constexpr unsigned chunk_bits = 20;  // 2^20 ids (128 KiB) a chunk
  static constexpr std::size_t max_chunks = std::size_t{1} << 16;
  static constexpr std::uint64_t block = 64;  // ids taken at once: one word
  using word = std::atomic<std::uint64_t>;

  ledger() : chunks_(new std::atomic<word*>[max_chunks]) {
    for (std::size_t i = 0; i < max_chunks; ++i) chunks_[i].store(nullptr);
  }
  ~ledger() {
    for (std::size_t i = 0; i < max_chunks; ++i) delete[] chunks_[i].load();
  }

  /// The first of `block` fresh ids (a multiple of `block`).
  std::uint64_t reserve() noexcept {
    const std::uint64_t id = next_.fetch_add(block, std::memory_order_relaxed);
    const std::size_t c = id >> chunk_bits;  // a block never straddles two chunks
    if (c < max_chunks && chunks_[c].load(std::memory_order_acquire) == nullptr) {
      std::lock_guard lock(grow_);
      if (chunks_[c].load(std::memory_order_relaxed) == nullptr) {
        chunks_[c].store(new word[std::size_t{1} << (chunk_bits - 6)](), std::memory_order_release);
      }
    }
    return id;
  }

  /// Ids handed out in blocks so far (some may still be unused in a block).
  std::uint64_t reserved() const noexcept { return next_.load(std::memory_order_relaxed); }

  /// ORs `bits` into word `w` (ids 64w..64w+63); returns the bits that were
  /// set already. Words beyond 2^36 ids are not tracked (returns 0).
  std::uint64_t set(std::uint64_t w, std::uint64_t bits) noexcept {
    const std::size_t c = w >> (chunk_bits - 6);
    if (c >= max_chunks) return 0;
    word* chunk = chunks_[c].load(std::memory_order_acquire);
    return chunk[w & ((std::uint64_t{1} << (chunk_bits - 6)) - 1)].fetch_or(
               bits, std::memory_order_relaxed) &
           bits;
  }

  /// Ids reserved but never set; call after every thread has stopped.
  std::uint64_t missing() const noexcept {
    const std::uint64_t n = reserved();
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

namespace {
constexpr std::size_t max_stall_log = 1000;
constexpr std::size_t max_series = 100'000;  // intervals kept; a 3 h run at 100 ms
}  // namespace

run_context::run_context(const run_config& config, const step_source& source)
    : config_(config),
      source_(source),
      generation_(next_generation.fetch_add(1)),
      ledger_(std::make_unique<ledger>()) {
  probe_.period_ = config.stall_period;
  probe_.threshold_ = config.stall_threshold;
  probe_.interval_ = config.series_interval;
  latency_in_series_ = config.series_interval.count() > 0 &&
                       config.warmup.count() % config.series_interval.count() == 0;
  mixed_ = source.spec().classes().size() > 1;
}

run_context::~run_context() = default;

run_context::shard& run_context::add_shard() noexcept {
  std::lock_guard lock(mutex_);
  shards_.push_back(std::make_unique<shard>());
  if (mixed_) {
    const std::size_t n = source_.spec().classes().size();
    shards_.back()->class_latency.resize(n);
    shards_.back()->class_completed.resize(n);
    shards_.back()->class_drained.resize(n);
  }
  tls_shard_ = shards_.back().get();
  tls_generation_ = generation_;
  return *tls_shard_;
}

void run_context::start(std::function<void(const run_window&)> on_open) {
  on_open_ = std::move(on_open);
  start_ = clock::now();
  probe_.window_ = &window_;
  probe_.deadline_ = start_ + probe_.period_;
  if (open_loop()) {
    // Poisson arrivals: exponential gaps at the offered rate over warm-up and
    // window, drawn up front from the seed so the schedule is the same for
    // every model (and nothing is drawn on the hot path).
    std::mt19937_64 rng(config_.seed ^ 0x5DEECE66Dull);
    std::exponential_distribution<double> gap(config_.rate / 1e9);
    const double end = static_cast<double>((config_.warmup + config_.longest_window()).count());
    double t = gap(rng);
    while (t < end && schedule_.size() < 100'000'000) {
      schedule_.push_back(nanoseconds(static_cast<std::int64_t>(t)));
      t += gap(rng);
    }
    // With net steps the drivers open their connections first (load_ready()).
    hold_open_ = source_.spec().has(step_kind::net);
    if (!hold_open_) open_window(start_);
  }
}

void run_context::load_ready() noexcept {
  if (!hold_open_) return;
  const std::size_t drivers = extra_probes_.size() + 1;  // one per share (use_probes())
  if (loads_ready_.fetch_add(1, std::memory_order_acq_rel) + 1 == drivers) {
    open_window(clock::now());
  }
}

void run_context::open_window(time_point now) noexcept {
  window_.open(now, config_.warmup, config_.longest_window());
  if (on_open_) on_open_(window_);
}

std::optional<task> run_context::first_task() noexcept {
  const time_point now = clock::now();
  if (aborted()) return std::nullopt;
  if (clients_started_.fetch_add(1, std::memory_order_relaxed) + 1 == config_.concurrency) {
    open_window(now);
  }
  return issue_at(now);
}

std::uint64_t run_context::issue_block(shard& s) noexcept {
  s.id_next = ledger_->reserve();
  s.id_end = s.id_next + ledger::block;
  return s.id_next++;
}

bool run_context::mark(shard& s, std::uint64_t id) noexcept {
  if (id >= ledger_->reserved()) return false;  // never issued
  const std::uint64_t w = id / ledger::block;
  const std::uint64_t bit = std::uint64_t{1} << (id % ledger::block);
  if (w != s.mark_word) {
    flush_marks(s);
    s.mark_word = w;
  }
  if ((s.mark_bits & bit) != 0) return false;
  s.mark_bits |= bit;
  return true;
}

void run_context::flush_marks(shard& s) noexcept {
  if (s.mark_bits == 0) return;
  // Bits already set: tasks completed before, on another thread or before
  // the last flush of this one. Found here rather than in complete(), so
  // their second latency has been recorded; the run fails either way.
  if (std::uint64_t twice = ledger_->set(s.mark_word, s.mark_bits); twice != 0) {
    s.errors += static_cast<std::uint64_t>(std::popcount(twice)) - 1;
    completed_twice(
        s, s.mark_word * ledger::block + static_cast<std::uint64_t>(std::countr_zero(twice)));
  }
  s.mark_bits = 0;
}

void run_context::use_probes(std::size_t n) {
  while (extra_probes_.size() + 1 < n) {
    auto p = std::make_unique<stall_probe>();
    p->period_ = probe_.period_;
    p->threshold_ = probe_.threshold_;
    p->interval_ = probe_.interval_;
    p->window_ = &window_;
    p->deadline_ = start_ + p->period_;
    extra_probes_.push_back(std::move(p));
  }
}

std::optional<task> run_context::arrival(std::size_t i) noexcept {
  if (aborted() || i >= schedule_.size() || !window_.known()) return std::nullopt;
  const time_point when = window_.origin() + schedule_[i];
  if (when >= window_.end()) return std::nullopt;
  return task{issue(), when, when};
}

std::optional<task> run_context::next_arrival() noexcept {
  if (aborted() || !window_.known()) return std::nullopt;
  const std::size_t i = next_arrival_.fetch_add(1, std::memory_order_relaxed);
  if (i >= schedule_.size()) return std::nullopt;
  const time_point when = window_.origin() + schedule_[i];
  // A window closed early (close_window()) ends the schedule there.
  if (when >= window_.end()) return std::nullopt;
  return task{issue(), when, when};
}

void run_context::launched(task& t) noexcept {
  t.actual_start = clock::now();
  shard& s = local_shard();
  s.generator_lag_ns = std::max(s.generator_lag_ns, (t.actual_start - t.intended_start).count());
}

bool run_context::stopping() const noexcept { return aborted() || clock::now() >= window_.end(); }

void run_context::completed_twice(shard& s, std::uint64_t id) noexcept {
  record_error(s, "task " + std::to_string(id) + " completed twice");
}

void run_context::wrong_checksum(shard& s, std::uint64_t id, std::uint64_t got,
                                 std::uint64_t want) noexcept {
  record_error(s, "task " + std::to_string(id) + " returned checksum " + hex(got) + ", expected " +
                      hex(want) + " (a step was skipped or cut short)");
}

void run_context::record_error(shard& s, std::string what) noexcept {
  ++s.errors;
  if (s.first_error.empty()) s.first_error = std::move(what);
}

inline void run_context::record_completion(shard& s, const task& t, std::uint64_t checksum,
                                           time_point now, const run_window::edges& w) noexcept {
  // The failures are reported out of line: their strings would otherwise
  // give this function a 400-byte frame to set up on every call.
  if (!mark(s, t.id)) [[unlikely]] {
    completed_twice(s, t.id);
    return;
  }
  if (const std::uint64_t want = source_.expected_checksum(t.id); checksum != want) [[unlikely]] {
    wrong_checksum(s, t.id, checksum, want);
    return;
  }
  const std::int64_t latency = (now - t.intended_start).count();
  if (now < s.series_from || now >= s.series_to) [[unlikely]]
    enter_interval(s, now);
  if (s.series_now != nullptr) s.series_now->record(latency);
  if (now < w.warm_end) return;
  // When the warm-up ends on an interval boundary, the latency histogram is
  // the merge of the series' intervals from there on: finish() makes it so,
  // and a completion is recorded once, not twice.
  if (!latency_in_series_ || s.series_now == nullptr) s.latency.record(latency);
  // A closed-loop task starts when it is issued (next_task stamps both), so
  // its uncorrected latency is its latency: finish() copies the histogram.
  if (open_loop()) s.uncorrected.record((now - t.actual_start).count());
  if (mixed_) [[unlikely]]
    record_class(s, t.id, latency, now < w.end);
  if (now < w.end) {
    ++s.completed;
  } else {
    ++s.drained;
  }
}

inline run_context::shard* run_context::complete_at(const task& t, std::uint64_t checksum,
                                                    segment& seg, time_point now,
                                                    const run_window::edges& w) noexcept {
  if (aborted()) {
    seg.ctx_ = nullptr;  // closed, unrecorded, as close() would leave it
    return nullptr;
  }
  shard& s = local_shard();
  record_completion(s, t, checksum, now, w);
  close_segment(s, seg, now, w);
  return &s;
}

time_point run_context::complete(const task& t, std::uint64_t checksum, segment& seg) noexcept {
  const time_point now = clock::now();
  complete_at(t, checksum, seg, now, window_.now_known());
  return now;
}

bool run_context::complete_and_next(task& t, std::uint64_t checksum, segment& seg) noexcept {
  const time_point now = clock::now();
  const run_window::edges w = window_.now_known();
  shard* const s = complete_at(t, checksum, seg, now, w);
  if (s == nullptr || now >= w.end) return false;
  t = task{issue(*s), now, now};
  return true;
}

void run_context::unissue(std::uint64_t id) noexcept {
  shard& s = local_shard();
  if (!mark(s, id)) {
    record_error(s, "task " + std::to_string(id) + " returned unused after it completed");
    return;
  }
  ++s.ids_unused;
}

void run_context::replay_first_task(time_point at) noexcept {
  if (aborted()) return;
  if (clients_started_.fetch_add(1, std::memory_order_relaxed) + 1 == config_.concurrency) {
    open_window(at);
  }
}

void run_context::replay_launch(task& t, time_point at) noexcept {
  t.actual_start = at;
  shard& s = local_shard();
  s.generator_lag_ns = std::max(s.generator_lag_ns, (t.actual_start - t.intended_start).count());
}

void run_context::replay_completion(const task& t, std::uint64_t checksum, time_point at) noexcept {
  segment none;  // never opened
  complete_at(t, checksum, none, at, window_.now_known());
}

// The time series counts from the warm-up's start (run_window::origin):
// completions before it (a closed loop's ramp) are not in it.
void run_context::enter_interval(shard& s, time_point now) noexcept {
  if (config_.precision > 0 && s.series_now != nullptr) hand_over(s);
  s.series_now = nullptr;
  if (!window_.known()) {
    s.series_from = s.series_to = now;  // not recorded; look again next time
    return;
  }
  const time_point origin = window_.origin();
  if (now < origin) {
    s.series_from = time_point::min();
    s.series_to = origin;
    return;
  }
  const auto i = static_cast<std::size_t>((now - origin) / config_.series_interval);
  if (i >= max_series) {  // past the last interval kept: not recorded
    s.series_from = origin + static_cast<std::int64_t>(max_series) * config_.series_interval;
    s.series_to = time_point::max();
    return;
  }
  if (s.series.size() <= i) s.series.resize(i + 1);
  if (!s.series[i]) s.series[i] = std::make_unique<histogram>();
  s.series_now = s.series[i].get();
  s.series_from = origin + static_cast<std::int64_t>(i) * config_.series_interval;
  s.series_to = s.series_from + config_.series_interval;
}

// The interval this thread leaves, if inside the window, to the monitor: it
// never records into it again (its stamps never go back).
void run_context::hand_over(shard& s) noexcept {
  if (s.series_from < window_.warm_end() || s.series_now->count() == 0) return;
  std::lock_guard lock(s.handed_over_mutex);
  if (!s.handed_over) {
    try {
      s.handed_over = std::make_unique<histogram>();
    } catch (...) {
      return;  // out of memory: the monitor sees less, and waits longer
    }
  }
  s.handed_over->merge(*s.series_now);
}

histogram run_context::window_latency_so_far() {
  histogram out;
  std::lock_guard lock(mutex_);
  for (const auto& s : shards_) {
    std::lock_guard shard_lock(s->handed_over_mutex);
    if (s->handed_over) out.merge(*s->handed_over);
  }
  return out;
}

nanoseconds run_context::window_length() const noexcept {
  if (config_.precision <= 0 || !window_.known()) return config_.duration;
  return window_.end() - window_.warm_end();
}

void run_context::record_class(shard& s, std::uint64_t id, std::int64_t latency,
                               bool in_window) noexcept {
  const std::size_t c = source_.class_of(id);
  s.class_latency[c].record(latency);
  ++(in_window ? s.class_completed[c] : s.class_drained[c]);
}

void run_context::fail(const task& t, std::string_view what) noexcept {
  shard& s = local_shard();
  mark(s, t.id);
  record_error(s, "task " + std::to_string(t.id) + ": " + std::string(what));
}

void segment::step(std::uint32_t index, step_kind kind) noexcept {
  const time_point now = clock::now();
  end_step(now);
  current_index_ = static_cast<std::int32_t>(index);
  current_kind_ = kind;
  mark_ = now;
}

void run_context::record_stall(shard& s, const segment& seg, std::int64_t length) noexcept {
  stall_event e;
  e.at_ms = static_cast<double>((seg.start_ - start_).count());
  e.length_ms = static_cast<double>(length);
  e.task = static_cast<std::int64_t>(seg.task_);
  // Name the step only when it accounts for most of the stall.
  if (seg.longest_index_ >= 0 && 2 * seg.longest_ns_ >= length) {
    e.step = std::string(to_string(seg.longest_kind_));
    e.step_index = seg.longest_index_;
  }
  if (s.stalls.size() < 16 * max_stall_log) s.stalls.push_back(std::move(e));
}

void run_context::dequeued(const task& t) noexcept {
  const time_point now = clock::now();
  if (now < window_.warm_end() || now >= window_.end() || aborted()) return;
  local_shard().queue_wait.record((now - t.intended_start).count());
}

namespace {
void set_fact(std::vector<model_fact>& facts, std::string key,
              std::variant<std::string, double> value) {
  for (model_fact& f : facts) {
    if (f.key == key) {
      f.value = std::move(value);
      return;
    }
  }
  facts.push_back({std::move(key), std::move(value)});
}
}  // namespace

void run_context::note(std::string key, std::string value) {
  std::lock_guard lock(mutex_);
  set_fact(facts_, std::move(key), std::move(value));
}

void run_context::note(std::string key, double value) {
  std::lock_guard lock(mutex_);
  set_fact(facts_, std::move(key), value);
}

void stall_probe::woke_at(time_point now) noexcept {
  const std::int64_t late = std::max<std::int64_t>(0, (now - deadline_).count());
  if (const time_point origin = window_->origin(); deadline_ >= origin) {
    if (const auto i = static_cast<std::size_t>((deadline_ - origin) / interval_); i < max_series) {
      if (series_max_.size() <= i) series_max_.resize(i + 1, 0);
      series_max_[i] = std::max(series_max_[i], late);
    }
  }
  // A wake-up whose lateness reaches into the window counts, even if it was
  // due in the warm-up: a probe that a full queue held through the whole
  // window is the longest stall of it.
  if (deadline_ < window_->end() && now >= window_->warm_end()) {
    lateness_.record(late);
    if (late > threshold_.count()) {
      ++over_;
      over_total_ns_ += late;
      if (stalls_.size() < 16 * max_stall_log) stalls_.push_back({deadline_, late});
    }
  }
  deadline_ = now + period_;
}

namespace {

void summarize(const histogram& h, latency_summary& out) {
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  out.count = h.count();
  out.p50 = us(h.value_at_percentile(50));
  out.p90 = us(h.value_at_percentile(90));
  out.p99 = us(h.value_at_percentile(99));
  out.p999 = us(h.value_at_percentile(99.9));
  out.max = us(h.max());
  out.mean = h.mean() / 1e3;
  out.min = us(h.min());
}

}  // namespace

// What every thread recorded, merged.
struct run_context::merged {
  histogram latency, uncorrected, resumes, queue_wait;
  std::vector<histogram> series;
  std::vector<stall_event> stalls;  // attributed resumes, raw (see shard)
  std::vector<histogram> class_latency;
  std::vector<std::uint64_t> class_completed, class_drained;
  std::uint64_t completed = 0, drained = 0, slow = 0, errors = 0, ids_unused = 0;
  std::int64_t busy_ns = 0, lag_ns = -1;
  std::size_t busy_threads = 0;
  std::string first_error;
};

namespace {
double us(std::int64_t ns) { return static_cast<double>(ns) / 1e3; }
}  // namespace

void run_context::finish(run_record& out) {
  std::lock_guard lock(mutex_);
  settle_ledger();
  merged m = merge_shards();
  count_tasks(m, out);
  summarize_latency(m, out);
  summarize_probe(out);
  summarize_segments(m, out);
  out.stall_log = stall_log(std::move(m.stalls));
  summarize_classes(m, out);
  out.series = time_series(m.series);
  out.window_s = to_s(window_length());
  out.throughput_per_s = out.window_s > 0 ? static_cast<double>(out.completed) / out.window_s : 0;
  out.ramp_ms = window_.known() ? to_s(window_.origin() - start_) * 1e3 : 0;
  out.model_facts = facts_;
}

// Every shard's gathered completions into the ledger, and the ids it took
// but never handed out marked as done (a completion of one of those is an
// error: the task was never issued).
void run_context::settle_ledger() noexcept {
  for (const auto& s : shards_) {
    flush_marks(*s);
    for (; s->id_next < s->id_end; ++s->id_next, ++s->ids_unused) {
      const std::uint64_t id = s->id_next;
      if (ledger_->set(id / ledger::block, std::uint64_t{1} << (id % ledger::block)) != 0) {
        record_error(*s, "task " + std::to_string(id) + " completed but never issued");
      }
    }
  }
}

run_context::merged run_context::merge_shards() const {
  merged m;
  for (const auto& s : shards_) {
    m.latency.merge(s->latency);
    if (open_loop()) m.uncorrected.merge(s->uncorrected);
    m.resumes.merge(s->resumes);
    m.queue_wait.merge(s->queue_wait);
    m.completed += s->completed;
    m.drained += s->drained;
    m.slow += s->slow;
    m.errors += s->errors;
    m.ids_unused += s->ids_unused;
    m.busy_ns += s->busy_ns;
    m.busy_threads += s->resumes.count() > 0;
    m.lag_ns = std::max(m.lag_ns, s->generator_lag_ns);
    if (m.first_error.empty()) m.first_error = s->first_error;
    if (m.series.size() < s->series.size()) m.series.resize(s->series.size());
    for (std::size_t i = 0; i < s->series.size(); ++i) {
      if (s->series[i]) m.series[i].merge(*s->series[i]);
    }
    m.stalls.insert(m.stalls.end(), s->stalls.begin(), s->stalls.end());
    if (m.class_latency.size() < s->class_latency.size()) {
      m.class_latency.resize(s->class_latency.size());
      m.class_completed.resize(s->class_latency.size());
      m.class_drained.resize(s->class_latency.size());
    }
    for (std::size_t c = 0; c < s->class_latency.size(); ++c) {
      m.class_latency[c].merge(s->class_latency[c]);
      m.class_completed[c] += s->class_completed[c];
      m.class_drained[c] += s->class_drained[c];
    }
  }
  if (latency_in_series_) {
    // See record_completion(): the window's completions are in the series
    // from the warm-up's end on.
    for (std::size_t i = static_cast<std::size_t>(config_.warmup / config_.series_interval);
         i < m.series.size(); ++i) {
      m.latency.merge(m.series[i]);
    }
  }
  if (!open_loop()) m.uncorrected = m.latency;  // see record_completion()
  return m;
}

// Completed, drained, issued, lost; the status those make.
void run_context::count_tasks(const merged& m, run_record& out) const {
  out.completed = m.completed;
  out.drained = m.drained;
  out.issued = ledger_->reserved() - m.ids_unused;
  std::uint64_t errors = m.errors;
  std::string first_error = m.first_error;
  if (const std::uint64_t lost = ledger_->missing(); lost > 0 && !aborted()) {
    errors += lost;
    if (first_error.empty()) first_error = std::to_string(lost) + " issued tasks never completed";
  }
  out.errors = errors;
  if (errors > 0) {
    out.status = run_status::error;
    out.error = std::to_string(errors) + " task error" + (errors == 1 ? "" : "s") +
                "; first: " + first_error;
  } else if (out.completed == 0 && !aborted()) {
    // A throughput of 0 measured from nothing: the window never opened (a
    // client never started) or no task fit in it.
    out.status = run_status::error;
    out.error =
        !window_.known()
            ? "the measured window never opened: " + std::to_string(clients_started_.load()) +
                  " of " + std::to_string(config_.concurrency) + " clients started"
            : "no task completed inside the measured window (" + std::to_string(out.drained) +
                  " finished after it): lengthen --duration";
  }
}

void run_context::summarize_latency(const merged& m, run_record& out) const {
  summarize(m.latency, out.latency);
  summarize(m.uncorrected, out.latency_uncorrected);
  out.latency_ci = latency_interval_of(m.latency);
  if (config_.precision > 0) {
    const double reach = relative_half_width(out.latency_ci.p99, out.latency.p99);
    out.precision_reached = std::isfinite(reach) ? reach : -1;
  }
  out.spectrum_percentiles = {0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};
  out.spectrum_corrected_us.clear();
  out.spectrum_uncorrected_us.clear();
  for (double p : out.spectrum_percentiles) {
    out.spectrum_corrected_us.push_back(us(m.latency.value_at_percentile(p)));
    out.spectrum_uncorrected_us.push_back(us(m.uncorrected.value_at_percentile(p)));
  }
  out.latency_bucket_ns.clear();
  out.latency_bucket_count.clear();
  m.latency.for_each_bucket([&](std::int64_t value, std::uint64_t count) {
    out.latency_bucket_ns.push_back(static_cast<std::uint64_t>(value));
    out.latency_bucket_count.push_back(count);
  });
  out.offered_per_s = open_loop() ? config_.rate : 0;
  out.generator_lag_ms =
      open_loop() ? static_cast<double>(std::max<std::int64_t>(0, m.lag_ns)) / 1e6 : -1;
}

void run_context::summarize_probe(run_record& out) {
  // A probe still waiting for a deadline before the window's close never
  // woke: its scheduler starved it (e.g. it was held to the end). Count it as
  // late until the close, rather than as no stall at all.
  const time_point window_end = window_.end();
  auto settle = [&](stall_probe& p) {
    if (window_.known() && p.deadline_ < window_end) {
      const std::int64_t late = (window_end - p.deadline_).count();
      p.lateness_.record(late);
      if (late > p.threshold_.count()) {
        ++p.over_;
        p.over_total_ns_ += late;
        p.stalls_.push_back({p.deadline_, late});
      }
    }
  };
  settle(probe_);
  // Several probes (use_probes()): one summary, one stall log and one
  // timeline of them all, the worst per interval.
  for (const std::unique_ptr<stall_probe>& p : extra_probes_) {
    settle(*p);
    probe_.lateness_.merge(p->lateness_);
    probe_.over_ += p->over_;
    probe_.over_total_ns_ += p->over_total_ns_;
    probe_.stalls_.insert(probe_.stalls_.end(), p->stalls_.begin(), p->stalls_.end());
    if (probe_.series_max_.size() < p->series_max_.size()) {
      probe_.series_max_.resize(p->series_max_.size(), 0);
    }
    for (std::size_t i = 0; i < p->series_max_.size(); ++i) {
      probe_.series_max_[i] = std::max(probe_.series_max_[i], p->series_max_[i]);
    }
  }
  extra_probes_.clear();  // merged: a second finish() does not count them twice
  const histogram& lag = probe_.lateness_;
  out.stall.samples = lag.count();
  out.stall.p50 = us(lag.value_at_percentile(50));
  out.stall.p99 = us(lag.value_at_percentile(99));
  out.stall.max = us(lag.max());
  out.stall.count_over_threshold = probe_.over_;
  out.stall.threshold_us = us(probe_.threshold_.count());
  out.stall.total_ms = static_cast<double>(probe_.over_total_ns_) / 1e6;
}

// Cooperative models' resumes (segments); pool-like models' queue waits.
void run_context::summarize_segments(const merged& m, run_record& out) const {
  out.resumes = m.resumes.count();
  out.slow_resumes = m.slow;
  out.slow_threshold_us = us(config_.slow_threshold.count());
  out.resume_p99_us = us(m.resumes.value_at_percentile(99));
  out.resume_max_us = us(m.resumes.max());
  out.busy_ratio =
      m.busy_threads > 0
          ? static_cast<double>(m.busy_ns) /
                (static_cast<double>(window_length().count()) * static_cast<double>(m.busy_threads))
          : -1;
  out.queue_waits = m.queue_wait.count();
  out.queue_wait_p50_us = us(m.queue_wait.value_at_percentile(50));
  out.queue_wait_p99_us = us(m.queue_wait.value_at_percentile(99));
  out.queue_wait_max_us = us(m.queue_wait.max());
}

// A mix's classes: each one's tasks alone, and its part of the stall log
// (which out.stall_log, like the run's counts and latency, must hold
// already). A mix of one class is recorded as a plain workload.
void run_context::summarize_classes(const merged& m, run_record& out) const {
  out.classes.clear();
  const workload& w = source_.spec();
  if (w.classes().empty()) return;
  double log_total = 0;
  std::vector<double> log_ms(w.classes().size(), 0.0);
  for (const stall_event& e : out.stall_log) {
    log_total += e.length_ms;
    if (e.task >= 0) log_ms[source_.class_of(static_cast<std::uint64_t>(e.task))] += e.length_ms;
  }
  for (std::size_t c = 0; c < w.classes().size(); ++c) {
    class_result r;
    r.name = w.classes()[c].name;
    r.weight = w.classes()[c].weight;
    r.share = w.share(c);
    r.task_mean_us = to_us(w.class_task_time(c));
    if (c < m.class_latency.size()) {
      r.completed = m.class_completed[c];
      r.drained = m.class_drained[c];
      summarize(m.class_latency[c], r.latency);
      r.latency_ci = latency_interval_of(m.class_latency[c]);
      m.class_latency[c].for_each_bucket([&](std::int64_t value, std::uint64_t count) {
        r.latency_bucket_ns.push_back(static_cast<std::uint64_t>(value));
        r.latency_bucket_count.push_back(count);
      });
    } else if (w.classes().size() == 1) {  // a mix of one: every task is of it
      r.completed = out.completed;
      r.drained = out.drained;
      r.latency = out.latency;
      r.latency_ci = out.latency_ci;
      r.latency_bucket_ns = out.latency_bucket_ns;
      r.latency_bucket_count = out.latency_bucket_count;
    }
    r.stall_log_ms = log_ms[c];
    r.stall_log_share = log_total > 0 ? log_ms[c] / log_total : 0;
    out.classes.push_back(std::move(r));
  }
}

// The attributed long resumes, plus probe stalls that no resume explains
// (scheduler overhead, or a model without segments). Keeps the longest, in
// time order, times in ms from the window's opening.
std::vector<stall_event> run_context::stall_log(std::vector<stall_event> stalls) const {
  for (const stall_probe::event& p : probe_.stalls_) {
    const double begin = static_cast<double>((p.start - start_).count());
    const double end = begin + static_cast<double>(p.length_ns);
    const bool explained = std::any_of(stalls.begin(), stalls.end(), [&](const stall_event& e) {
      return e.task >= 0 && e.at_ms < end && e.at_ms + e.length_ms > begin;
    });
    if (!explained) {
      stall_event e;
      e.at_ms = begin;
      e.length_ms = static_cast<double>(p.length_ns);
      stalls.push_back(e);
    }
  }
  std::sort(stalls.begin(), stalls.end(),
            [](const stall_event& a, const stall_event& b) { return a.length_ms > b.length_ms; });
  if (stalls.size() > max_stall_log) stalls.resize(max_stall_log);
  std::sort(stalls.begin(), stalls.end(),
            [](const stall_event& a, const stall_event& b) { return a.at_ms < b.at_ms; });
  // Raw times count from start_; the log's from the window's opening.
  const double window_ns =
      window_.known() ? static_cast<double>((window_.warm_end() - start_).count()) : 0.0;
  for (stall_event& e : stalls) {
    e.at_ms = (e.at_ms - window_ns) / 1e6;
    e.length_ms /= 1e6;
  }
  return stalls;
}

// From the warm-up's start to the last completion, t from the window's opening.
time_series run_context::time_series(const std::vector<histogram>& series) const {
  ccbench::time_series out;
  const std::size_t n = std::max(series.size(), probe_.series_max_.size());
  out.interval_ms = static_cast<double>(config_.series_interval.count()) / 1e6;
  for (std::size_t i = 0; i < n; ++i) {
    out.t_ms.push_back(static_cast<double>(i) * out.interval_ms -
                       static_cast<double>(config_.warmup.count()) / 1e6);
    const bool have = i < series.size();
    out.completed.push_back(have ? series[i].count() : 0);
    out.p99_us.push_back(have ? us(series[i].value_at_percentile(99)) : 0);
    out.stall_max_us.push_back(i < probe_.series_max_.size() ? us(probe_.series_max_[i]) : 0);
  }
  return out;
}

// ---- model_context -----------------------------------------------------------

const model_options& model_context::options() const noexcept { return ctx_.options(); }
bool model_context::open_loop() const noexcept { return ctx_.open_loop(); }
std::uint64_t model_context::concurrency() const noexcept { return ctx_.concurrency(); }
bool model_context::aborted() const noexcept { return ctx_.aborted(); }
void model_context::dequeued(const task& t) noexcept { ctx_.dequeued(t); }
void model_context::note(std::string key, std::string value) {
  ctx_.note(std::move(key), std::move(value));
}
void model_context::note(std::string key, double value) { ctx_.note(std::move(key), value); }

}  // namespace ccbench
