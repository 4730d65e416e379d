#include "harness/shard_balance.hpp"

#include <cstdio>
#include <variant>

#include "harness/run_record.hpp"
#include "harness/statistics.hpp"

namespace ccbench {

std::vector<std::string> shard_balance_warnings(const std::vector<run_record>& runs) {
  std::vector<std::string> out;
  for (const run_record& r : runs) {
    if (r.status != run_status::ok) continue;
    // Fewer clients than shards leaves some shards idle by construction: that
    // is the load, not an unbalanced host.
    if (r.config.arrival == arrival_kind::closed &&
        r.config.concurrency < static_cast<std::uint64_t>(r.config.options.threads)) {
      continue;
    }
    for (const model_fact& f : r.model_facts) {
      const double* x = std::get_if<double>(&f.value);
      if (f.key != "shard_imbalance" || x == nullptr || *x <= shard_imbalance_warning) continue;
      std::string tasks, cpu;
      for (const model_fact& g : r.model_facts) {
        const auto* s = std::get_if<std::string>(&g.value);
        if (s == nullptr) continue;
        if (g.key == "shard_completed") tasks = "tasks per shard: " + *s;
        if (g.key == "shard_cpu_s") cpu = "CPU seconds per shard over the window: " + *s;
      }
      const std::string per_shard =
          tasks.empty() && cpu.empty()
              ? ""
              : " (" + tasks + (tasks.empty() || cpu.empty() ? "" : "; ") + cpu + ")";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f%%", 100 * *x);
      out.push_back(short_name(r.config) + ": its shards were unbalanced by " + buf + per_shard +
                    ": one core did less than the others (another process on it, or too few "
                    "clients to share); its throughput is not the loop's per core times the "
                    "cores");
    }
  }
  return out;
}

}  // namespace ccbench
