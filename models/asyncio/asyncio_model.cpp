#include "models/asyncio/asyncio_model.hpp"

#include <unistd.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/foreign_run.hpp"
#include "harness/net_protocol.hpp"
#include "harness/net_session.hpp"
#include "harness/process_pool.hpp"
#include "harness/step_work.hpp"
#include "models/asyncio/python_process.hpp"
#include "models/asyncio/python_script.hpp"

namespace ccbench::models {
namespace {

// Message types (protocol.md; ccbench_asyncio.py has the same numbers).
namespace msg {
// harness -> Python
constexpr std::uint64_t plan = 2, shape = 3, tasks = 4, no_more = 5, start = 6, tasks_shaped = 7;
// Python -> harness
constexpr std::uint64_t hello = 1, failed_start = 10, window = 11, done = 12, fail = 13, probe = 14,
                        need = 15, end = 16, ready = 17, connected = 18;
}  // namespace msg

constexpr std::uint64_t inline_steps = std::uint64_t{1} << 32;
constexpr std::size_t max_shapes = 4096;
constexpr auto handshake_limit = std::chrono::seconds(60);
constexpr auto flush_period = std::chrono::milliseconds(10);

std::uint64_t code_of(const step& s) {
  const std::uint64_t kind = s.kind == step_kind::io    ? 0
                             : s.kind == step_kind::cpu ? 1
                             : s.kind == step_kind::net ? 3
                                                        : 2;
  const std::uint64_t fault = s.fault == step_fault::none            ? 0
                              : s.fault == step_fault::std_exception ? 1
                                                                     : 2;
  return kind | fault << 8;
}

class python_model final : public model {
 public:
  explicit python_model(std::string loop) : loop_(std::move(loop)) {}
  ~python_model() override {
    if (counted_pid_ > 0) forget_worker_process(counted_pid_);
  }

 private:
  void do_prepare(model_context& ctx) override;
  void do_run(model_context& ctx) override;

  // Waits for the next message, pumping; nullopt once the interpreter is gone.
  std::optional<python_message> wait_message(model_context& ctx, std::chrono::seconds limit);
  [[noreturn]] void died(std::string_view when);
  // cpu_burn rounds that take `d` in the interpreter (its calibration).
  std::uint64_t rounds_for(nanoseconds d) const {
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(
                                          static_cast<double>(d.count()) * py_rounds_per_ns_)));
  }
  // The checksum the interpreter returns for a correct run of task `id`.
  std::uint64_t python_checksum(const step_source& source, std::uint64_t id) const;
  // Appends task `id` (intended start, 0 for a closed loop) to `out`, a
  // message being built: its type, then its words.
  void encode_task(const step_source& source, std::uint64_t id, std::uint64_t intended,
                   std::vector<std::uint64_t>& out);
  // Sends `n` closed-loop tasks, or up to `n` open-loop arrivals.
  void send_tasks(foreign_run& run, std::size_t n);
  // Queues the message `out` holds, if any, and empties it.
  void flush_tasks(std::vector<std::uint64_t>& out);
  void replay(foreign_run& run, const python_message& m);

  const std::string loop_;
  std::unique_ptr<python_process> py_;
  pid_t counted_pid_ = -1;  // in live_worker_pids() (the runner's CPU and memory figures)
  double py_rounds_per_ns_ = 0;
  std::size_t batch_ = 0;
  std::map<std::vector<std::uint64_t>, std::uint64_t> shapes_;
  bool schedule_done_ = false;
  bool ended_ = false;
};

void python_model::died(std::string_view when) {
  const std::string how = py_->reap(std::chrono::milliseconds(2000));
  throw std::runtime_error("the Python process (" + loop_ + ") " + std::string(when) + " and " +
                           how);
}

std::optional<python_message> python_model::wait_message(model_context& ctx,
                                                         std::chrono::seconds limit) {
  const auto stop = std::chrono::steady_clock::now() + limit;
  python_message m;
  while (!py_->next(m)) {
    if (ctx.aborted()) {
      py_->kill();
      throw std::runtime_error("the run was aborted while the Python process (" + loop_ +
                               ") was starting");
    }
    if (std::chrono::steady_clock::now() >= stop) {
      py_->kill();
      throw std::runtime_error("the Python process (" + loop_ + ") did not start within " +
                               std::to_string(limit.count()) + " s");
    }
    if (!py_->pump(std::chrono::milliseconds(50))) return std::nullopt;
  }
  return m;
}

void python_model::do_prepare(model_context& ctx) {
  const model_options& o = ctx.options();
  const std::string python = o.python.empty() ? "/usr/bin/python3" : o.python;
  const auto began = std::chrono::steady_clock::now();
  py_ = std::make_unique<python_process>(python, find_python_script("ccbench_asyncio.py"),
                                         std::vector<std::string>{"--loop", loop_, "--fd", "3"});
  count_worker_process(counted_pid_ = py_->pid());
  std::optional<python_message> m = wait_message(ctx, handshake_limit);
  if (!m) died("ended before it said hello");
  if (m->type == msg::failed_start) {
    const std::string why = python_process::text_of(m->words, 0);
    py_->reap(std::chrono::milliseconds(2000));
    throw std::runtime_error(why);
  }
  if (m->type != msg::hello) throw std::runtime_error("the Python process did not say hello");
  const nlohmann::json hello = nlohmann::json::parse(python_process::text_of(m->words, 0));
  py_rounds_per_ns_ = hello.at("rounds_per_ns").get<double>();
  ctx.note("python_version", hello.at("version").get<std::string>());
  ctx.note("python_gil", hello.at("gil").get<bool>() ? 1.0 : 0.0);
  ctx.note("python_implementation", hello.at("implementation").get<std::string>());
  if (loop_ == "uvloop") ctx.note("uvloop_version", hello.at("uvloop").get<std::string>());
  ctx.note("python_cpu_rounds_per_ns", py_rounds_per_ns_);

  const std::uint64_t c = ctx.open_loop() ? 0 : ctx.concurrency();
  batch_ = std::max<std::size_t>(2048, c);
  nlohmann::json plan = {
      {"closed", !ctx.open_loop()},
      {"concurrency", c},
      {"warmup_ns", foreign_run(ctx).config().warmup.count()},
      {"duration_ns", foreign_run(ctx).config().duration.count()},
      {"stall_period_ns", foreign_run(ctx).config().stall_period.count()},
      {"flush_ns", nanoseconds(flush_period).count()},
      {"low_water", std::max<std::size_t>(512, c / 2)},
      {"offload", std::string(to_string(o.offload))},
      {"offload_threads", o.offload_threads},  // 0: asyncio's default executor
      {"offload_processes", offload_process_count(o)},
  };
  if (o.offload != offload_mode::none) {
    ctx.note("offload_threads", static_cast<double>(offload_thread_count(o)));
  }
  if (o.offload == offload_mode::process) {
    ctx.note("offload_processes", static_cast<double>(offload_process_count(o)));
  }
  if (const std::optional<net::endpoint> server = net::session_server()) {
    // Net steps: the interpreter opens its connections before it is ready
    // (before the run's clock): one per client, or what an open loop's rate
    // keeps in flight, as the driver does for the C++ models.
    const run_config& config = foreign_run(ctx).config();
    plan["server"] = server->text();
    plan["net_connections"] =
        ctx.open_loop() ? net::open_loop_connections(
                              config.rate, foreign_run(ctx).source().spec().mean_task_time())
                        : ctx.concurrency();
  }
  py_->send_text(msg::plan, {}, plan.dump());
  m = wait_message(ctx, handshake_limit);
  // The connections it opened, stamped.
  while (m && m->type == msg::connected) {
    for (const std::uint64_t ns : m->words) {
      net::connection_opened(time_point(nanoseconds(static_cast<std::int64_t>(ns))));
    }
    m = wait_message(ctx, handshake_limit);
  }
  if (!m) died("ended before it was ready");
  if (m->type != msg::ready) throw std::runtime_error("the Python process was not ready");
  // Before the run's clock (model::prepare), but part of its wall time.
  ctx.note("startup_s",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
}

std::uint64_t python_model::python_checksum(const step_source& source, std::uint64_t id) const {
  std::uint64_t acc = 0;
  step s;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (!source.draw(id, i, s)) continue;
    if (s.kind == step_kind::cpu) {
      acc = fold_checksum(acc, cpu_burn_expected(s.seed, rounds_for(s.duration)));
    } else if (s.kind == step_kind::net) {
      acc = fold_checksum(acc, net::expected_digest(s.seed, s.rounds));  // the reply's bytes
    }
  }
  return acc;
}

void python_model::encode_task(const step_source& source, std::uint64_t id, std::uint64_t intended,
                               std::vector<std::uint64_t>& out) {
  // Steps as [code, duration ns, seed, rounds] (net: [code, delay ns, nonce,
  // reply bytes]); a task without cpu or net steps (whose seeds differ per
  // task) refers to a shape sent once (a fixed spec has one), else they go
  // inline.
  std::vector<std::uint64_t> steps;
  bool cpu = false;
  step s;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (!source.draw(id, i, s)) continue;
    cpu |= s.kind == step_kind::cpu || s.kind == step_kind::net;
    steps.insert(steps.end(), {code_of(s), static_cast<std::uint64_t>(s.duration.count()), s.seed,
                               s.kind == step_kind::cpu   ? rounds_for(s.duration)
                               : s.kind == step_kind::net ? s.rounds
                                                          : 0});
  }
  if (!cpu) {
    auto it = shapes_.find(steps);
    if (it == shapes_.end() && shapes_.size() < max_shapes) {
      const std::uint64_t k = shapes_.size();
      std::vector<std::uint64_t> shape{k, steps.size() / 4};
      shape.insert(shape.end(), steps.begin(), steps.end());
      py_->send(msg::shape, shape);
      it = shapes_.emplace(steps, k).first;
    }
    if (it != shapes_.end()) {
      // Runs of shaped tasks go as TASKS_SHAPED, [id, intended, k] each, which
      // the interpreter unpacks with zip() rather than word by word.
      if (!out.empty() && out.front() == msg::tasks) flush_tasks(out);
      if (out.empty()) out.push_back(msg::tasks_shaped);
      out.insert(out.end(), {id, intended, it->second});
      return;
    }
  }
  if (!out.empty() && out.front() == msg::tasks_shaped) flush_tasks(out);
  if (out.empty()) out.push_back(msg::tasks);
  out.insert(out.end(), {id, intended, inline_steps + steps.size() / 4});
  out.insert(out.end(), steps.begin(), steps.end());
}

void python_model::flush_tasks(std::vector<std::uint64_t>& out) {
  if (out.size() > 1) {
    py_->send(out.front(), std::span<const std::uint64_t>(out).subspan(1));
  }
  out.clear();
}

void python_model::send_tasks(foreign_run& run, std::size_t n) {
  if (schedule_done_) return;
  std::vector<std::uint64_t> words;
  const step_source& source = run.source();
  for (std::size_t i = 0; i < n; ++i) {
    if (run.open_loop()) {
      const std::optional<task> t = run.next_arrival();
      if (!t) {
        schedule_done_ = true;
        break;
      }
      encode_task(source, t->id,
                  static_cast<std::uint64_t>(t->intended_start.time_since_epoch().count()), words);
    } else {
      encode_task(source, run.issue(), 0, words);
    }
  }
  // Shapes first: send() keeps the order, and encode_task() queued them.
  flush_tasks(words);
  if (schedule_done_) py_->send(msg::no_more, {});
}

void python_model::replay(foreign_run& run, const python_message& m) {
  const auto at = [](std::uint64_t ns) {
    return time_point(nanoseconds(static_cast<std::int64_t>(ns)));
  };
  const std::span<const std::uint64_t> w = m.words;
  switch (m.type) {
    case msg::window:
      if (w.empty()) break;
      for (std::uint64_t i = 0; i < run.concurrency(); ++i) run.first_task(at(w[0]));
      break;
    case msg::done: {
      const step_source& source = run.source();
      for (std::size_t i = 0; i + 5 <= w.size(); i += 5) {
        task t{w[i], at(w[i + 1]), at(w[i + 2])};
        if (run.open_loop()) run.launched(t, t.actual_start);
        const std::uint64_t want = python_checksum(source, t.id);
        if (w[i + 4] != want) {
          char text[128];
          std::snprintf(text, sizeof text,
                        "returned checksum %016llx, expected %016llx (a step was skipped or cut "
                        "short)",
                        static_cast<unsigned long long>(w[i + 4]),
                        static_cast<unsigned long long>(want));
          run.failed(t, text);
          continue;
        }
        run.completed(t, source.expected_checksum(t.id), at(w[i + 3]));
      }
      break;
    }
    case msg::fail: {
      if (w.size() < 3) break;
      task t{w[0], {}, {}};
      if (run.open_loop() && w[1] != 0) run.launched(t, at(w[1]));
      run.failed(t, python_process::text_of(w, 2));
      break;
    }
    case msg::probe:
      for (const std::uint64_t ns : w) run.probe_woke(at(ns));
      break;
    case msg::need:
      send_tasks(run, batch_);
      break;
    case msg::connected:
      for (const std::uint64_t ns : w) run.connection_opened(at(ns));
      break;
    case msg::end:
      if (w.size() >= 2) {
        run.note("python_rss_peak_kb", static_cast<double>(w[0]));
        for (std::size_t i = 2; i < w.size(); ++i) run.unissue(w[i]);
      }
      ended_ = true;
      break;
    default:
      throw std::runtime_error("the Python process sent an unknown message type " +
                               std::to_string(m.type));
  }
}

void python_model::do_run(model_context& ctx) {
  foreign_run run(ctx);
  // Net steps: its connections were opened in prepare(); an open loop's
  // window and schedule start now (a closed loop's at the last first task).
  run.load_ready();
  const time_point end = run.window_end();
  const std::uint64_t start[2] = {
      static_cast<std::uint64_t>(run.probe_deadline().time_since_epoch().count()),
      run.open_loop() ? static_cast<std::uint64_t>(end.time_since_epoch().count()) : 0};
  py_->send(msg::start, start);
  send_tasks(run, run.open_loop() ? batch_ : run.concurrency() + batch_);
  python_message m;
  while (!ended_) {
    if (run.aborted()) {
      // The watchdog gave up: what was replayed so far is kept.
      py_->kill();
      break;
    }
    if (!py_->pump(std::chrono::milliseconds(50))) {
      // Replay what it sent before it went.
      while (py_->next(m)) replay(run, m);
      if (!ended_) died("died mid-run");
      break;
    }
    while (!ended_ && py_->next(m)) replay(run, m);
  }
  if (ended_) {
    const std::string how = py_->reap(std::chrono::milliseconds(5000));
    if (py_->exit_code() != 0) {
      throw std::runtime_error("the Python process (" + loop_ + ") " + how);
    }
  }
}

}  // namespace

std::unique_ptr<model> make_asyncio_model() { return std::make_unique<python_model>("asyncio"); }
std::unique_ptr<model> make_uvloop_model() { return std::make_unique<python_model>("uvloop"); }

}  // namespace ccbench::models
