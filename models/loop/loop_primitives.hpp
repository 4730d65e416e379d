// The loop's primitives for the harness's driver (harness/driver.hpp), and the
// task group a run ends with: what the `loop` model runs on one event loop, and
// what `shards` runs on each of its loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "harness/driver.hpp"
#include "harness/net_session.hpp"
#include "models/loop/event_loop.hpp"
#include "models/loop/process_offload.hpp"
#include "models/loop/socket.hpp"
#include "models/loop/task_group.hpp"

namespace ccbench::loop {

// Awaited timers, yield and to_thread, a task group that the run ends with,
// and the worker processes of --offload process awaited through
// process_offload.
struct driver_primitives {
  template <class T>
  using task = loop::task<T>;
  struct client {
    explicit client(driver_primitives&) noexcept {}
  };
  static constexpr bool cooperative = true;
  // A client's frame stays small: offloaded steps await in one of their own.
  static constexpr bool offload_frame = true;

  loop::task_group* group = nullptr;
  loop::process_offload* procs = nullptr;
  // Net steps: the run's delay server, and the connections to it that no
  // step uses now (a client library's connection pool, as aiohttp keeps one):
  // each closed-loop client opens one before the window (net_connect(), from
  // the driver), and holds one only during a round trip, so a closed loop of
  // C clients has C, reused for the run. Destroyed before the loop, on its
  // thread.
  std::optional<net::endpoint> server;
  std::vector<std::unique_ptr<loop::fd_watch>> idle;
  std::size_t connections = 0;

  static auto sleep_until(client&, time_point deadline) noexcept {
    return loop::sleep_until(deadline);
  }
  // A timer from a stamp the driver took: no clock read of its own.
  static auto sleep_for(client&, nanoseconds d, time_point from) noexcept {
    return loop::sleep_for(d, from);
  }
  static auto yield(client&) noexcept { return loop::yield(); }
  // After a wait, the loop's own clock reading from just before it fired the
  // timer, not a fresh read: since then it ran only other tasks' stretches,
  // which stamp as they end, and its own dispatch, which the segment then
  // counts. So a segment may start a little early, never late: it can show a
  // stall that is the loop's, never hide one.
  static time_point resume_stamp() noexcept { return clock::last(); }
  void spawn(loop::task<void> t) { group->create_task(std::move(t)); }

  static auto block_elsewhere(client&, const step& s) {
    return loop::to_thread([&s] { run_step(s, 0); });
  }
  auto cpu_elsewhere(client&, const step& s, std::uint64_t acc) noexcept {
    return procs->run(std::span(&s, 1), acc);
  }
  // Non-blocking socket, readiness from the loop's epoll, awaited. A failed
  // round trip closes its connection (the task fails; the next opens another).
  loop::task<std::uint64_t> net_round_trip(client&, const step& s) {
    std::unique_ptr<loop::fd_watch> c;
    if (!idle.empty()) {
      c = std::move(idle.back());
      idle.pop_back();
    } else {
      c = co_await open_connection();  // none idle: one was lost, or an open loop grew
    }
    const std::uint64_t digest =
        co_await loop::round_trip(*c, {static_cast<std::uint32_t>(s.rounds),
                                       static_cast<std::uint64_t>(s.duration.count()), s.seed});
    idle.push_back(std::move(c));
    co_return digest;
  }
  // One more idle connection, awaited on the loop (the driver, before the window).
  loop::task<void> net_connect(client&) { idle.push_back(co_await open_connection()); }
  loop::task<std::unique_ptr<loop::fd_watch>> open_connection() {
    std::unique_ptr<loop::fd_watch> c = co_await loop::connect_tcp(*server);
    ++connections;
    net::connection_opened();
    co_return c;
  }
};

// asyncio.TaskGroup: the run ends when the probe and every client (or the
// generator and every arrival) have returned.
inline loop::task<void> drive(driver<driver_primitives>& d, driver_primitives& prims) {
  co_await loop::with_task_group([&d, &prims](loop::task_group& tg) -> loop::task<void> {
    prims.group = &tg;
    tg.create_task(d.probe());
    d.start_load();
    co_return;
  });
}

}  // namespace ccbench::loop
