// The built-in sweeps' plans, sized to the machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "harness/cli/sweeps.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

// Drives the crossover bisection against an ideal loop and pool on a machine
// of `cores`: N clients, each waiting w = 10 ms, then computing x. The loop
// runs the computing on its one core: min(N / (w + x), 1 / x) tasks/s. The
// pool has a thread per client: N / (w + x), as long as the cores keep up.
// Returns the CPU bursts probed, split by who won.
struct bisection {
  std::vector<double> loop_kept_up_us, pool_won_us;
};

bisection crossover_on(int cores) {
  suite_plan plan = make_sweep("crossover", false, cores);
  EXPECT_TRUE(plan.runs.empty());
  std::vector<run_record> done;
  bisection out;
  while (true) {
    const std::vector<run_config> probe = plan.more(done);
    if (probe.empty()) break;
    EXPECT_EQ(probe.size(), 2u);
    if (probe.size() != 2) break;
    const double x_s =
        std::chrono::duration<double>(workload::parse(probe[0].workload).mean_time(step_kind::cpu))
            .count();
    const double wait_s = 10e-3;
    const auto n = static_cast<double>(probe[0].concurrency);
    const double loop = std::min(n / (wait_s + x_s), 1 / x_s);
    const double pool = std::min(n / (wait_s + x_s), cores / x_s);
    for (const run_config& c : probe) {
      run_record r;
      r.config = c;
      r.throughput_per_s = c.model == "loop" ? loop : pool;
      done.push_back(r);
    }
    (pool > 1.05 * loop ? out.pool_won_us : out.loop_kept_up_us).push_back(x_s * 1e6);
  }
  return out;
}

// The loop's core is full at 10 ms / (N - 1) with N = 8 x cores clients; past
// the 5% tie margin the pool wins. The bisection must bracket that point on a
// small machine and on a large one (on 16 cores it lies at 83 us, below the 1%
// of the wait that the bisection once started from).
TEST(Sweeps, CrossoverBracketsTheLoopsOneCoreOnAnyNumberOfCores) {
  for (int cores : {2, 4, 16, 64}) {  // on one core the pool cannot win
    SCOPED_TRACE(cores);
    const double n = 8.0 * cores;
    const double tie_us = 1.05 * 10e3 / (n - 1.05);  // pool = 1.05 x loop
    const bisection b = crossover_on(cores);
    ASSERT_FALSE(b.loop_kept_up_us.empty()) << "no probe was below the crossover";
    ASSERT_FALSE(b.pool_won_us.empty()) << "no probe was above the crossover";
    const double below = *std::max_element(b.loop_kept_up_us.begin(), b.loop_kept_up_us.end());
    const double above = *std::min_element(b.pool_won_us.begin(), b.pool_won_us.end());
    EXPECT_LE(below, tie_us);
    EXPECT_GE(above, tie_us);
    EXPECT_LT(above / below, 1.5) << "five probes narrow it to within 50%";
  }
}

}  // namespace
}  // namespace ccbench
