#include "harness/cli/sweeps.hpp"

#include <array>
#include <chrono>

#include "harness/cli/matrix.hpp"
#include "harness/error.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

constexpr std::array<sweep_info, 1> builtin{{
    {"bench",
     "the default suite of `make bench`: scenarios io, cpu, block and mixed under loop, "
     "loop with blocking calls offloaded to threads, and a pool of one thread per core, at "
     "concurrency 1, 4 x cores and 128 x cores (--full: more scenarios and levels, longer "
     "windows, 3 repetitions)"},
}};

named_workload scenario_workload(std::string_view name) {
  const scenario* s = find_scenario(name);
  return {workload::parse(s->spec).text(), std::string(name)};
}

std::vector<run_config> bench(bool full, int cores) {
  matrix_spec m;
  m.models = {"loop", "pool"};
  m.offloads = {offload_mode::none, offload_mode::thread};
  m.threads = {cores};
  const std::uint64_t c = static_cast<std::uint64_t>(cores);
  if (full) {
    for (const char* s : {"io", "cpu", "block", "mixed", "io-cpu", "rare-block", "cpu-heavy"}) {
      m.workloads.push_back(scenario_workload(s));
    }
    m.concurrency = {1, c, 4 * c, 16 * c, 64 * c, 256 * c, 1024 * c};
    m.base.warmup = 1s;
    m.base.duration = 3s;
    m.repetitions = 3;
  } else {
    for (const char* s : {"io", "cpu", "block", "mixed"})
      m.workloads.push_back(scenario_workload(s));
    m.concurrency = {1, 4 * c, 128 * c};
    m.base.warmup = 250ms;
    m.base.duration = 1s;
  }
  return expand(m);
}

}  // namespace

std::span<const sweep_info> sweeps() { return builtin; }

std::vector<run_config> make_sweep(std::string_view name, bool full, int cores) {
  if (name == "bench") return bench(full, cores);
  std::string known;
  for (const sweep_info& s : builtin) known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw config_error("sweep '" + std::string(name) + "': unknown sweep (use " + known + ")");
}

}  // namespace ccbench
