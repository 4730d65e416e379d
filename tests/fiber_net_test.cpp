// The fiber model's net waits (models/fiber/fiber_net.hpp): the epoll lives in
// the scheduler, so readiness must still be seen while fibers keep the thread
// busy and it never goes idle (a lost wake-up would leave the waiting fibers
// stuck until the busy fiber ends), and a fiber that does not yield delays
// the net waits by its stretch only.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/scheduler.hpp>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "harness/cli/registry.hpp"
#include "harness/cli/server_child.hpp"
#include "harness/net_protocol.hpp"
#include "harness/run_record.hpp"
#include "harness/runner.hpp"
#include "models/fiber/fiber_net.hpp"
#include "models/loop/delay_server.hpp"
#include "tests/test_util.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;
namespace fibers = boost::fibers;
using steady = std::chrono::steady_clock;

// The delay server on a thread of its own, for one test.
struct server_thread {
  loop::delay_server server;
  std::thread serving;
  explicit server_thread(loop::delay_server_options o)
      : server(std::move(o)), serving([this] { server.run(); }) {}
  ~server_thread() {
    server.stop();
    serving.join();
  }
};

loop::delay_server_options loopback() {
  loop::delay_server_options o;
  o.listen = net::parse_endpoint("127.0.0.1:0", "server", true);
  return o;
}

// Runs `body` on this thread's scheduler, stamped_round_robin with `poller`
// (the fiber model's one-thread scheduler for a run with net steps), and
// hands the thread back to Boost's default scheduler after.
template <class Body>
void on_the_model_scheduler(fibernet::net_poller& poller, Body body) {
  fibers::use_scheduling_algorithm<fibernet::stamped_round_robin>(&poller);
  body();
  fibers::use_scheduling_algorithm<fibers::algo::round_robin>();
}

// Clients: each connects, then does round trips of `delay` until `stop`,
// recording its longest round trip and its count.
struct clients {
  struct one {
    int trips = 0;
    int trips_while_busy = 0;
    steady::duration longest{};
    bool wrong = false;
  };
  std::vector<one> each;
  std::atomic<bool> stop{false};
  std::atomic<bool> busy{false};
  std::vector<fibers::fiber> fibers_;

  clients(int n, fibernet::net_poller& poller, const net::endpoint& at,
          std::chrono::nanoseconds delay)
      : each(static_cast<std::size_t>(n)) {
    for (int i = 0; i < n; ++i) {
      fibers_.emplace_back([this, i, &poller, at, delay] {
        one& me = each[static_cast<std::size_t>(i)];
        const auto c = fibernet::connect(poller, at);
        for (std::uint64_t nonce = 1 + static_cast<std::uint64_t>(i) * 1'000'000; !stop; ++nonce) {
          const auto start = steady::now();
          const std::uint64_t d = fibernet::round_trip(
              poller, *c, {64, static_cast<std::uint64_t>(delay.count()), nonce}, at);
          me.longest = std::max(me.longest, steady::now() - start);
          if (d != net::expected_digest(nonce, 64)) me.wrong = true;
          ++me.trips;
          if (busy) ++me.trips_while_busy;
        }
      });
    }
  }
  void join() {
    stop = true;
    for (fibers::fiber& f : fibers_) f.join();
  }
};

// A fiber that yields without pause keeps the thread's ready queue non-empty:
// the scheduler never waits in its epoll, so only its dispatcher's look at
// each turn can see the replies. Without it every client would stay suspended
// until the spinner ends (0 trips while busy).
TEST(FiberNet, RepliesAreSeenWhileFibersKeepTheThreadBusy) {
  server_thread s(loopback());
  fibernet::net_poller poller;
  on_the_model_scheduler(poller, [&] {
    clients cs(32, poller, s.server.address(), 1ms);
    boost::this_fiber::sleep_for(20ms);  // every client connected and waiting
    cs.busy = true;
    const auto until = steady::now() + 300ms;
    std::uint64_t spins = 0;
    while (steady::now() < until) {
      boost::this_fiber::yield();
      ++spins;
    }
    cs.busy = false;
    cs.join();
    EXPECT_GT(spins, 0u);
    for (std::size_t i = 0; i < cs.each.size(); ++i) {
      EXPECT_FALSE(cs.each[i].wrong) << "client " << i << " got a wrong reply";
      // About 300 at 1 ms each; a loaded machine may give far fewer.
      EXPECT_GE(cs.each[i].trips_while_busy, 5)
          << "client " << i << " was starved while another fiber kept the thread busy";
    }
  });
}

// A fiber that burns the CPU for 20 ms at a time without yielding, then
// yields once: a net wait may last its delay plus one such stretch (and the
// other clients' turns), not until the burner ends (800 ms).
TEST(FiberNet, AFiberThatDoesNotYieldDelaysTheNetWaitsByItsStretchOnly) {
  server_thread s(loopback());
  fibernet::net_poller poller;
  on_the_model_scheduler(poller, [&] {
    clients cs(16, poller, s.server.address(), 2ms);
    boost::this_fiber::sleep_for(20ms);
    cs.busy = true;
    const auto until = steady::now() + 800ms;
    int stretches = 0;
    while (steady::now() < until) {
      const auto stretch_end = steady::now() + 20ms;
      while (steady::now() < stretch_end) {
      }
      ++stretches;
      boost::this_fiber::yield();
    }
    cs.busy = false;
    cs.join();
    EXPECT_GE(stretches, 10);
    for (std::size_t i = 0; i < cs.each.size(); ++i) {
      EXPECT_FALSE(cs.each[i].wrong) << "client " << i << " got a wrong reply";
      EXPECT_GE(cs.each[i].trips_while_busy, 5) << "client " << i;
      // 2 ms + a 20 ms stretch; 400 ms of room for a loaded machine, still
      // half the burner's 800 ms.
      EXPECT_LT(cs.each[i].longest, 400ms)
          << "client " << i << " waited "
          << std::chrono::duration_cast<std::chrono::milliseconds>(cs.each[i].longest).count()
          << " ms for a 2 ms reply";
    }
  });
}

// The epoll and its eventfd go with the poller; the connections with their
// owners: nothing is left open.
TEST(FiberNet, NoDescriptorIsLeft) {
  auto open_fds = [] {
    int n = 0;
    for (int fd = 0; fd < 4096; ++fd) n += ::fcntl(fd, F_GETFD) != -1;
    return n;
  };
  server_thread s(loopback());
  // Once, so that what the server and the harness open on first use is open
  // before the count; then again, counted.
  auto clients_run = [&] {
    fibernet::net_poller poller;
    on_the_model_scheduler(poller, [&] {
      clients cs(8, poller, s.server.address(), 0ms);
      boost::this_fiber::sleep_for(20ms);
      cs.join();
      for (const clients::one& c : cs.each) EXPECT_GT(c.trips, 0);
    });
  };
  clients_run();
  std::this_thread::sleep_for(50ms);
  const int before = open_fds();
  clients_run();
  // The server closes its ends as it sees the clients' close, on its thread.
  const auto until = steady::now() + 2s;
  while (open_fds() != before && steady::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(open_fds(), before);
}

// The model itself on more scheduler threads than cores (shared_queue: one
// idle thread at a time waits in the epoll, a busy one looks at its
// dispatcher's turn, the poll is handed to an idle peer), with cpu steps
// between round trips. A lost wake-up leaves fibers waiting for good (with
// idle threads that never wait in the epoll, the connects before the window
// hang, as tried): the run never returns, and ctest's timeout fails the test.
TEST(FiberNet, TheModelOnThreeThreadsCompletesEveryRoundTrip) {
  server_child server(1);
  for (int i = 0; i < 3; ++i) {
    run_config c;
    c.model = "fiber";
    c.options.threads = 3;
    c.workload = "net:~500us,cpu:~100us,net:~1ms:3000B@50%";
    c.concurrency = 24;
    c.warmup = 50ms;
    c.duration = 300ms;
    c.timeout = 20s;
    c.server = server.address();
    const run_record r =
        run_in_process(c, find_model("fiber")->make, testing_util::rounds_per_ns());
    EXPECT_EQ(r.status, run_status::ok) << r.error;
    EXPECT_EQ(r.errors, 0u) << r.error;
    EXPECT_GT(r.completed, 100u);
    EXPECT_EQ(r.latency.count, r.completed + r.drained);
    EXPECT_LT(r.latency.max, 1e6) << "a task took a second in a 300 ms run";
  }
}

}  // namespace
}  // namespace ccbench
