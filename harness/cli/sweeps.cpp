#include "harness/cli/sweeps.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "harness/cli/registry.hpp"
#include "harness/error.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

constexpr std::array<sweep_info, 7> builtin{{
    {"bench",
     "everything `make bench` runs, in this order: scenarios, decision-map, hockey, stalls, "
     "crossover (quick: a few minutes on 2 cores; --full: longer windows, finer grids, "
     "repetitions)"},
    {"scenarios",
     "closed loop: scenarios io, cpu, block, mixed and net under every model (offloading where "
     "the scenario has blocking or CPU steps) at concurrency 1, 4 x cores and 128 x cores"},
    {"decision-map",
     "a grid over the CPU share and the blocking share of a 10 ms task, every candidate model "
     "in each cell, for the decision map"},
    {"hockey",
     "open loop: rising Poisson rates of io:10ms,cpu:1ms per model until it saturates (the "
     "latency hockey stick)"},
    {"stalls",
     "the loop under rare 100 ms blocking calls at 500 tasks/s, naive and offloaded (the stall "
     "timeline)"},
    {"crossover",
     "bisection: the CPU burst per 10 ms wait at which a thread pool overtakes the loop on this "
     "host, then (on 2 cores or more) the one at which it overtakes a loop per core"},
    {"scaling",
     "every multi-core model (and the loop as the one-core line) on io-cpu and cpu at k = 1, "
     "2, 4, ... CPUs up to the cores (--cpus k), 16 x k clients: throughput per core, speed-up "
     "and a Universal Scalability Law fit per model; not part of bench"},
}};

// How long each run takes: quick enough for `make bench` to stay near 3
// minutes on 2 cores (about 200 runs), or the long version.
struct pace {
  nanoseconds warmup, duration;
  int repetitions;
};

pace pace_of(bool full) { return full ? pace{1s, 3s, 2} : pace{100ms, 500ms, 1}; }

// A model as a sweep runs it: name, offload mode, threads.
struct variant {
  std::string_view model;
  offload_mode offload;
  int threads;
};

bool available(const variant& v) {
  const model_info* m = find_model(v.model);
  if (m == nullptr) return false;
  if (v.offload == offload_mode::thread) return m->traits.offload_thread;
  if (v.offload == offload_mode::process) return m->traits.offload_process;
  return true;
}

run_config make_run(const variant& v, const std::string& spec, std::string_view scenario,
                    std::string_view group, const pace& p) {
  run_config c;
  c.model = std::string(v.model);
  c.options.offload = v.offload;
  c.options.threads = find_model(v.model)->traits.uses_threads ? v.threads : 1;
  if (find_model(v.model)->traits.python) c.options.python = "/usr/bin/python3";
  c.workload = workload::parse(spec).text();
  c.scenario = std::string(scenario);
  c.group = std::string(group);
  c.warmup = p.warmup;
  c.duration = p.duration;
  return c;
}

// A model's --threads in a sweep (model_traits::sweep_threads): `per_task` is
// what the sweep gives a thread-per-task model (a thread per task in flight,
// or the cores).
int sweep_threads(const model_traits& t, int cores, int per_task) {
  switch (t.sweep_threads) {
    case thread_sizing::one:
      return 1;
    case thread_sizing::cores:
      return cores;
    case thread_sizing::per_task:
      return per_task;
  }
  return cores;
}

// The models worth comparing on `w`, every candidate of the sweeps in registry
// order, each in the form a user would deploy it there: a cooperative model
// offloads blocking calls when the task has them; one on a single thread also
// runs as it is and, when the task computes, with CPU bursts in processes (its
// one core cannot run them side by side). Other models run every step
// themselves.
std::vector<variant> candidates(const workload& w, int cores, int per_task) {
  const bool block = w.has(step_kind::block);
  const bool cpu = w.has(step_kind::cpu);
  std::vector<variant> v;
  for (const model_info& m : registered_models()) {
    if (!m.traits.sweep) continue;
    const int threads = sweep_threads(m.traits, cores, per_task);
    if (!m.traits.cooperative) {
      v.push_back({m.name, offload_mode::none, threads});
    } else if (m.traits.sweep_threads == thread_sizing::one) {
      v.push_back({m.name, offload_mode::none, threads});
      if (block) v.push_back({m.name, offload_mode::thread, threads});
      if (cpu) v.push_back({m.name, offload_mode::process, threads});
    } else {
      v.push_back({m.name, block ? offload_mode::thread : offload_mode::none, threads});
    }
  }
  std::erase_if(v, [](const variant& x) { return !available(x); });
  return v;
}

// The models that run in a Python interpreter (traits.python), in registry
// order, as the sweeps run them beside the candidates: no offload; when the
// task computes, its CPU on threads (to_thread: the GIL) and on processes;
// when it blocks, its blocking calls on threads. They are not candidates
// (traits.sweep is false: each run starts an interpreter, and CPython is
// slower than every C++ model); `make bench` runs them at fewer points:
// quick, the first of them in the scenarios at 4 x cores only and none in the
// decision map; --full, every scenario level, the decision map, and every one
// of them.
std::vector<variant> python_variants(const workload& w, bool full) {
  std::vector<variant> v;
  // Net scenarios: left out (bench time; `ccbench run` runs them, docs/models.md).
  if (w.has(step_kind::net)) return v;
  for (const model_info& m : registered_models()) {
    if (!m.traits.python) continue;
    v.push_back({m.name, offload_mode::none, 1});
    if (w.has(step_kind::cpu) || w.has(step_kind::block)) {
      v.push_back({m.name, offload_mode::thread, 1});
    }
    if (w.has(step_kind::cpu)) v.push_back({m.name, offload_mode::process, 1});
    if (!full) break;
  }
  std::erase_if(v, [](const variant& x) { return !available(x); });
  return v;
}

// The first candidate of the sweeps, in registry order, whose traits `fit`;
// nullptr when none does.
const model_info* first_candidate(bool (*fits)(const model_traits&)) {
  return first_model([fits](const model_traits& t) { return t.sweep && fits(t); });
}

// An event loop on one thread: a cooperative model with a single thread.
bool single_thread_loop(const model_traits& t) {
  return t.cooperative && t.sweep_threads == thread_sizing::one;
}

std::string spec_of(double io_ns, double cpu_ns, double block_ns) {
  std::string spec;
  auto add = [&](const char* kind, double ns) {
    if (ns <= 0) return;
    if (!spec.empty()) spec += ',';
    spec += std::string(kind) + ":" + format_duration(nanoseconds(std::llround(ns)));
  };
  add("io", io_ns);
  add("cpu", cpu_ns);
  add("block", block_ns);
  return spec.empty() ? "io:0ns" : spec;
}

void add_scenarios(suite_plan& plan, bool full, int cores) {
  const pace p = pace_of(full);
  const auto c = static_cast<std::uint64_t>(cores);
  const std::vector<std::uint64_t> levels =
      full ? std::vector<std::uint64_t>{1, c, 4 * c, 32 * c, 256 * c}
           : std::vector<std::uint64_t>{1, 4 * c, 128 * c};
  // `net` beside its timer twin `io`: what real I/O adds per task.
  std::vector<const char*> names = {"io", "cpu", "block", "mixed", "net"};
  // Quick: one client only in `io` and `block`. Alone, a task takes its own
  // length under every model: `io` shows what each model's wake-up adds, and
  // `block` what an offload's hop costs before the loop is slowed by its own
  // blocking (the report's offload rule reads it there); cpu, mixed and net
  // differ only once clients share the model.
  const auto skip_level = [full](std::string_view name, std::uint64_t level) {
    return !full && level == 1 && name != "io" && name != "block";
  };
  if (full) names.insert(names.end(), {"io-cpu", "rare-block", "cpu-heavy", "net-cpu", "web"});
  for (int rep = 0; rep < p.repetitions; ++rep) {
    for (const char* name : names) {
      const workload w = workload::parse(find_scenario(name)->spec);
      for (std::uint64_t level : levels) {
        if (skip_level(name, level)) continue;
        for (const variant& v : candidates(w, cores, cores)) {
          run_config r = make_run(v, w.text(), name, "scenarios", p);
          r.concurrency = level;
          r.repetition = rep;
          plan.runs.push_back(std::move(r));
        }
      }
    }
  }
  // The Python models: every level in --full, else the middle one; in quick
  // mode the first of them (the scenarios are where the report's CPython
  // rules come from, and one interpreter states them), on io, cpu and block.
  for (int rep = 0; rep < p.repetitions; ++rep) {
    for (const char* name : names) {
      if (!full && std::string_view(name) == "mixed") continue;
      const workload w = workload::parse(find_scenario(name)->spec);
      for (std::uint64_t level : full ? levels : std::vector<std::uint64_t>{4 * c}) {
        std::vector<variant> py = python_variants(w, full);
        for (const variant& v : py) {
          run_config r = make_run(v, w.text(), name, "scenarios", p);
          r.concurrency = level;
          r.repetition = rep;
          plan.runs.push_back(std::move(r));
        }
      }
    }
  }
}

void add_decision_map(suite_plan& plan, bool full, int cores) {
  const pace p = pace_of(full);
  // A cell ranks throughput under a p99 limit of several times the task's
  // length: 8 clients a core on 10 ms tasks finish 800 or more in a quick
  // window of half a second wherever a model keeps up, enough for both.
  constexpr double task_ns = 10e6;
  const std::uint64_t clients = 8 * static_cast<std::uint64_t>(cores);
  const std::vector<double> shares =
      full ? std::vector<double>{0, 0.05, 0.1, 0.2, 0.4, 0.8} : std::vector<double>{0, 0.1, 0.4};
  for (double cpu : shares) {
    for (double block : shares) {
      if (cpu + block > 1.0 + 1e-9) continue;
      const std::string spec = spec_of((1 - cpu - block) * task_ns, cpu * task_ns, block * task_ns);
      const workload w = workload::parse(spec);
      // A model sized per task (the pool) gets a thread per in-flight task, so
      // it never queues a wait: the classic thread-per-request server.
      for (const variant& v : candidates(w, cores, static_cast<int>(clients))) {
        run_config r = make_run(v, spec, "", "decision-map", p);
        r.concurrency = clients;
        plan.runs.push_back(std::move(r));
      }
      // The Python models only in --full: an interpreter per cell is most of
      // the quick map's time, and the scenarios already state their rules.
      if (!full) continue;
      for (const variant& v : python_variants(w, full)) {
        run_config r = make_run(v, spec, "", "decision-map", p);
        r.concurrency = clients;
        plan.runs.push_back(std::move(r));
      }
    }
  }
}

// A run of an open-loop series saturated: it fell behind its offered rate, its
// p99 exceeded 20 times the task's own duration, or it failed.
bool saturated(const run_record& r) {
  if (r.status != run_status::ok) return true;
  const double task_us = r.task_mean_io_us + r.task_mean_cpu_us + r.task_mean_block_us;
  return r.throughput_per_s < 0.9 * r.config.rate || r.latency.p99 > 20 * task_us;
}

bool same_series(const run_config& a, const run_config& b) {
  return a.group == b.group && a.model == b.model && a.options.offload == b.options.offload &&
         a.options.threads == b.options.threads && a.workload == b.workload;
}

void add_hockey(suite_plan& plan, bool full, int cores) {
  const pace p = pace_of(full);
  const std::string spec = workload::parse("io:10ms,cpu:1ms").text();
  const workload w = workload::parse(spec);
  const double step = full ? std::sqrt(2.0) : 2.0;
  // Quick: from 100 a second (at 50, a window holds 25 arrivals: no p99 at all).
  const double first = full ? 50 : 100;
  for (const variant& v : candidates(w, cores, cores)) {
    for (double rate = first; rate <= 4000.0 * cores; rate *= step) {
      run_config r = make_run(v, spec, "io-cpu", "hockey", p);
      r.arrival = arrival_kind::open;
      r.rate = std::round(rate);
      // An overloaded open loop queues without bound: cap the drain.
      r.timeout = r.warmup + r.duration + 5s;
      plan.runs.push_back(std::move(r));
    }
  }
  // Once a model saturates, higher rates only queue more: skip them.
  auto previous = plan.skip;
  plan.skip = [previous](const run_config& c, const std::vector<run_record>& done) {
    if (previous && previous(c, done)) return true;
    if (c.group != "hockey") return false;
    return std::any_of(done.begin(), done.end(), [&](const run_record& r) {
      return same_series(r.config, c) && r.config.rate < c.rate && saturated(r);
    });
  };
}

// The single-thread event loop that can send blocking calls to threads, naive
// and offloaded.
void add_stalls(suite_plan& plan, bool full) {
  const model_info* m = first_candidate(
      [](const model_traits& t) { return single_thread_loop(t) && t.offload_thread; });
  if (m == nullptr) return;
  pace p = pace_of(full);
  p.duration = full ? 5s : 2s;
  const std::string spec = workload::parse(find_scenario("rare-block")->spec).text();
  for (offload_mode o : {offload_mode::none, offload_mode::thread}) {
    run_config r = make_run({m->name, o, 1}, spec, "rare-block", "stalls", p);
    r.arrival = arrival_kind::open;
    r.rate = 500;
    r.series_interval = 20ms;
    plan.runs.push_back(std::move(r));
  }
}

// Bisection on the CPU burst x of `io:10ms,cpu:x`: the loop wins at small x
// (it overlaps the waits on one core), a pool with a thread per in-flight task
// wins once the loop's one core saturates. Each probe runs both.
//
// With N clients the loop's core is full once N x = 10 ms + x, at x = 10 ms /
// (N - 1): 667 us on 2 cores (N = 16), 79 us on 16 (N = 128). The bisection
// starts at 1% of the wait, or at a quarter of that point where it is lower,
// so the crossover stays inside the range on any number of cores.
//
// Then the second question: how much CPU per ms of waiting before the pool
// beats a loop per core (the first candidate that shares nothing, sized one
// per core, so N / cores clients each). A second bisection runs it and the
// pool, from the last x the one loop kept up with (a loop per core keeps up
// at least as long, ideally until its cores are as full as the pool's) to the
// whole wait; fewer probes (3, --full: 6), so that it adds few runs. On one
// core a loop per core is the one loop, and it is not asked.
//
// The loop is the first single-thread event loop among the candidates, the
// pool the first model sized a thread per task.
void add_crossover(suite_plan& plan, bool full, int cores) {
  const model_info* loop_model = first_candidate(single_thread_loop);
  const model_info* pool_model = first_candidate(
      [](const model_traits& t) { return t.sweep_threads == thread_sizing::per_task; });
  if (loop_model == nullptr || pool_model == nullptr) return;
  const model_info* per_core_model =
      cores >= 2
          ? first_candidate([](const model_traits& t) { return t.cooperative && t.shares_nothing; })
          : nullptr;
  struct stage {
    variant event_loop, pool;
    double lo_ns, hi_ns;
    int probes_left;
  };
  struct state {
    std::vector<stage> stages;
    std::size_t at = 0;
    double pending_ns = -1;
  };
  auto s = std::make_shared<state>();
  // Each probe compares two throughputs that are close near the crossover:
  // quick probes keep 0.6 s windows, the rest of the quick sweep has 0.5 s.
  pace p = pace_of(full);
  if (!full) p.duration = 600ms;
  const std::uint64_t clients = 8 * static_cast<std::uint64_t>(std::max(cores, 1));
  const auto per_task = static_cast<int>(clients);
  const variant pool_variant{pool_model->name, offload_mode::none,
                             sweep_threads(pool_model->traits, cores, per_task)};
  // 1% and 100% of the wait (or a quarter of the one loop's full point).
  s->stages.push_back(
      {{loop_model->name, offload_mode::none, sweep_threads(loop_model->traits, cores, per_task)},
       pool_variant,
       std::min(0.1e6, 10e6 / static_cast<double>(clients - 1) / 4),
       10e6,
       full ? 8 : 5});
  if (per_core_model != nullptr) {
    s->stages.push_back({{per_core_model->name, offload_mode::none,
                          sweep_threads(per_core_model->traits, cores, per_task)},
                         pool_variant,
                         0,
                         10e6,
                         full ? 6 : 3});
  }
  auto probe = [p, clients](const stage& st, double cpu_ns) {
    std::vector<run_config> out;
    const std::string spec = spec_of(10e6, cpu_ns, 0);
    for (const variant& v : {st.event_loop, st.pool}) {
      run_config r = make_run(v, spec, "", "crossover", p);
      r.concurrency = clients;
      out.push_back(std::move(r));
    }
    return out;
  };
  auto previous = plan.more;
  plan.more = [s, probe, previous](const std::vector<run_record>& done) -> std::vector<run_config> {
    if (previous) {
      std::vector<run_config> before = previous(done);
      if (!before.empty()) return before;
    }
    if (s->pending_ns > 0) {
      // The last two records are the event loop and the pool at pending_ns.
      if (done.size() < 2) return {};
      const run_record& loop = done[done.size() - 2];
      const run_record& pool = done[done.size() - 1];
      if (loop.status != run_status::ok || pool.status != run_status::ok) return {};
      stage& st = s->stages[s->at];
      // A tie (within 5%, the noise of a short run) is not an overtaking.
      (pool.throughput_per_s > 1.05 * loop.throughput_per_s ? st.hi_ns : st.lo_ns) = s->pending_ns;
      s->pending_ns = -1;
    }
    while (s->stages[s->at].probes_left-- <= 0) {
      if (++s->at == s->stages.size()) {
        s->at = s->stages.size() - 1;
        return {};
      }
      s->stages[s->at].lo_ns = s->stages[s->at - 1].lo_ns;
    }
    stage& st = s->stages[s->at];
    s->pending_ns = std::sqrt(st.lo_ns * st.hi_ns);
    return probe(st, s->pending_ns);
  };
}

// --precision for the closed-loop runs of the sweeps: every run asks for its
// p99 within 10% (--full: 5%) and records whether it got there; a shared time
// budget lengthens the windows that can reach it with a little more time,
// fewest extra seconds first. A run at 100 tasks/s would need a minute for a
// 5% p99 and gets none; one at 25,000 tasks/s is sure within its minimum
// window and needs none.
void give_precision_budget(suite_plan& plan, bool full, int cores) {
  const double precision = full ? 0.05 : 0.10;
  // Samples a p99 needs to be within `precision`: about (4.2 / precision)^2
  // for an exponential tail (the interval's half-width is about
  // 1.96 sqrt(q (1 - q) n) ranks of 1 / (n f(x_q)) each), doubled because
  // the upper side is the wider.
  const double samples = 2 * (4.24 / precision) * (4.24 / precision);
  // Quick: a small budget, so that `make bench` stays near 3 minutes on 2
  // cores; most of it goes to the CPU-bound runs a second or two short.
  const double budget_s = full ? 300 : 6;  // extra seconds for the whole suite
  const double most_s = full ? 20 : 2.5;   // extra seconds for one run
  struct want {
    std::size_t run;
    double extra_s;
  };
  std::vector<want> wants;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    run_config& c = plan.runs[i];
    if (c.arrival != arrival_kind::closed) continue;
    if (c.group != "scenarios" && c.group != "decision-map") continue;
    c.precision = precision;
    c.max_duration = c.duration;
    // Tasks per second, roughly: the clients over the task's time, capped by
    // the cores the model can compute and block on.
    const workload w = workload::parse(c.workload);
    const double task_s = to_s(w.mean_time(step_kind::io) + w.mean_time(step_kind::cpu) +
                               w.mean_time(step_kind::block));
    const model_info* m = find_model(c.model);
    const bool one = m != nullptr && !m->traits.uses_threads;
    double held_s = to_s(w.mean_time(step_kind::cpu));
    if (c.options.offload == offload_mode::none || m == nullptr || !m->traits.cooperative) {
      held_s += to_s(w.mean_time(step_kind::block));
    }
    double rate = task_s > 0 ? static_cast<double>(c.concurrency) / task_s : 1e6;
    if (held_s > 0) {
      const double threads =
          one && c.options.offload != offload_mode::process ? 1.0 : std::max(1, cores);
      rate = std::min(rate, threads / held_s);
    }
    const double extra_s = samples / rate - to_s(c.duration);
    if (extra_s > 0 && extra_s <= most_s) wants.push_back({i, extra_s});
  }
  std::stable_sort(wants.begin(), wants.end(),
                   [](const want& a, const want& b) { return a.extra_s < b.extra_s; });
  double left_s = budget_s;
  for (const want& x : wants) {
    if (x.extra_s > left_s) break;
    run_config& c = plan.runs[x.run];
    // Half as much again: the rate above is a guess. The window still closes
    // as soon as the p99 is sure.
    c.max_duration =
        c.duration + std::chrono::duration_cast<nanoseconds>(
                         std::chrono::duration<double>(std::min(most_s, 1.5 * x.extra_s)));
    left_s -= x.extra_s;
  }
}

// The core counts of the scaling sweep: 1, 2, 4, ... below `cores`, then
// `cores` itself.
std::vector<int> core_counts(int cores) {
  std::vector<int> ks;
  for (int k = 1; k < cores; k *= 2) ks.push_back(k);
  ks.push_back(std::max(cores, 1));
  return ks;
}

// Each multi-core model (one that --threads sizes) and each sweep candidate
// (the loop: the one-core line) at k CPUs (--cpus k), its threads following k
// (a model sized per task gets a thread per task in flight, as in the decision
// map), under 16 x k clients: enough that every core has work while the
// others' tasks wait 10 ms.
void add_scaling(suite_plan& plan, bool full, int cores) {
  const pace p = pace_of(full);
  for (int rep = 0; rep < p.repetitions; ++rep) {
    for (const char* name : {"io-cpu", "cpu"}) {
      const std::string spec = workload::parse(find_scenario(name)->spec).text();
      for (const int k : core_counts(cores)) {
        const std::uint64_t clients = 16 * static_cast<std::uint64_t>(k);
        for (const model_info& m : registered_models()) {
          if (!m.traits.sweep && !m.traits.uses_threads) continue;
          const int threads = sweep_threads(m.traits, k, static_cast<int>(clients));
          run_config r = make_run({m.name, offload_mode::none, threads}, spec, name, "scaling", p);
          r.concurrency = clients;
          r.cpus = k;
          r.repetition = rep;
          plan.runs.push_back(std::move(r));
        }
      }
    }
  }
}

}  // namespace

std::span<const sweep_info> sweeps() { return builtin; }

suite_plan make_sweep(std::string_view name, bool full, int cores) {
  suite_plan plan;
  const bool all = name == "bench";
  bool known = all;
  if (all || name == "scenarios") {
    add_scenarios(plan, full, cores);
    known = true;
  }
  if (all || name == "decision-map") {
    add_decision_map(plan, full, cores);
    known = true;
  }
  if (all || name == "hockey") {
    add_hockey(plan, full, cores);
    known = true;
  }
  if (all || name == "stalls") {
    add_stalls(plan, full);
    known = true;
  }
  if (all || name == "crossover") {
    add_crossover(plan, full, cores);
    known = true;
  }
  if (name == "scaling") {
    add_scaling(plan, full, cores);
    known = true;
  }
  if (known) give_precision_budget(plan, full, cores);
  if (!known) {
    std::string names;
    for (const sweep_info& s : builtin) names += (names.empty() ? "" : ", ") + std::string(s.name);
    throw config_error("sweep '" + std::string(name) + "': unknown sweep (use " + names + ")");
  }
  return plan;
}

}  // namespace ccbench
