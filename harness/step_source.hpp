// Draws the concrete steps of each task from the workload, deterministically in
// (seed, task id, step index): any thread or process can redraw a task, and the
// harness can recompute its checksum without storing anything per task.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/workload.hpp"

namespace ccbench {

/// Tests only: a step that fails as it runs, to check that every model turns
/// a failing step into a failed task and goes on.
enum class step_fault : std::uint8_t {
  none,
  std_exception,    ///< throws a std::runtime_error
  other_exception,  ///< throws something that is not a std::exception
};

/// Tests only (run_config::faults): the first step of every `every`-th task
/// (ids every-1, 2 every-1, ...) fails with `kind`.
struct fault_injection {
  step_fault kind = step_fault::none;
  std::uint64_t every = 0;
};

/// One step of one task, ready to run.
struct step {
  step_kind kind = step_kind::io;
  nanoseconds duration{0};
  std::uint64_t rounds = 0;             ///< cpu: cpu_burn rounds calibrated to `duration`;
                                        ///< net: the reply's size in bytes
  std::uint64_t seed = 0;               ///< cpu: cpu_burn start value; net: the request's
                                        ///< nonce (0 for other kinds)
  std::uint32_t index = 0;              ///< position in the task's spec (for the stall log)
  step_fault fault = step_fault::none;  ///< tests only (fault_injection)
};

class step_source {
 public:
  /// `rounds_per_ns` comes from calibrate_cpu_burn() on this machine.
  step_source(workload w, std::uint64_t seed, double rounds_per_ns, fault_injection faults = {});

  const workload& spec() const { return workload_; }
  std::size_t size() const noexcept { return size_; }
  double rounds_per_ns() const { return rounds_per_ns_; }

  /// Step `index` of task `task_id`. Returns false when a `@P%` step is not part
  /// of this task. Any thread; never blocks.
  bool draw(std::uint64_t task_id, std::size_t index, step& out) const noexcept {
    // A fixed io or block step draws nothing: it is settled per spec step (this
    // runs for every step of every task, on the model's hot path).
    const fixed_step& fixed = fixed_[index];
    if (!fixed.drawn) {
      out.kind = fixed.kind;
      out.duration = fixed.duration;
      out.rounds = 0;
      out.seed = 0;
      out.index = static_cast<std::uint32_t>(index);
      return true;
    }
    return draw_random(task_id, index, out);
  }

  /// The request class drawn for task `task_id` (an index into
  /// spec().classes()), from the seed and the id alone; 0 for a plain spec.
  /// Any thread; never blocks.
  std::size_t class_of(std::uint64_t task_id) const noexcept {
    return class_bounds_.empty() ? 0 : draw_class(task_id);
  }

  /// The checksum a correct run of task `task_id` produces. Only cpu steps
  /// and net steps (the digest of their reply) fold into it: without any it
  /// is 0, with nothing drawn.
  std::uint64_t expected_checksum(std::uint64_t task_id) const noexcept {
    return has_cpu_ ? cpu_checksum(task_id) : 0;
  }

 private:
  // What draw() can settle once per spec step rather than per task.
  struct fixed_step {
    step_kind kind;
    bool random;  // `~` or `@P%`: drawn per task
    bool drawn;   // random, or cpu (whose seed is drawn per task)
    nanoseconds duration;
    std::uint64_t rounds;
  };
  bool draw_random(std::uint64_t task_id, std::size_t index, step& out) const noexcept;
  std::size_t draw_class(std::uint64_t task_id) const noexcept;
  // cpu_burn rounds that take `ns` on this machine.
  std::uint64_t rounds_for(double ns) const noexcept;

  std::uint64_t cpu_checksum(std::uint64_t task_id) const noexcept;

  workload workload_;
  std::uint64_t seed_;
  double rounds_per_ns_;
  std::vector<fixed_step> fixed_;
  std::size_t size_ = 0;  // spec steps, kept apart: read twice for every task
  bool has_cpu_ = false;  // cpu or net steps: something folds into the checksum
  fault_injection faults_;
  // A mix of two classes or more: each class's upper bound in [0, 1) of the
  // cumulative shares, and the class of each spec step. Empty otherwise.
  std::vector<double> class_bounds_;
  std::vector<std::uint32_t> step_class_;
};

/// Iterates the steps of one task: `for (const step& s : task_steps(src, id))`.
/// Cheap to copy and safe to keep in a coroutine frame across suspensions.
class task_steps {
 public:
  task_steps(const step_source& src, std::uint64_t task_id) : src_(&src), id_(task_id) {}

  class iterator {
   public:
    iterator(const step_source* src, std::uint64_t id, std::size_t index)
        : src_(src), id_(id), index_(index) {
      settle();
    }
    const step& operator*() const { return current_; }
    const step* operator->() const { return &current_; }
    iterator& operator++() {
      ++index_;
      settle();
      return *this;
    }
    bool operator==(const iterator& o) const { return index_ == o.index_; }

   private:
    void settle() {
      while (index_ < src_->size() && !src_->draw(id_, index_, current_)) ++index_;
    }
    const step_source* src_;
    std::uint64_t id_;
    std::size_t index_;
    step current_;
  };

  iterator begin() const { return {src_, id_, 0}; }
  iterator end() const { return {src_, id_, src_->size()}; }

 private:
  const step_source* src_;
  std::uint64_t id_;
};

}  // namespace ccbench
