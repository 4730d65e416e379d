#include "harness/host_noise.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "harness/run_record.hpp"
#include "harness/statistics.hpp"

namespace ccbench {

std::optional<proc_stat_times> proc_stat_times::parse(std::string_view text) noexcept {
  // The aggregate line comes first: "cpu  user nice system idle iowait irq
  // softirq steal guest guest_nice". Per-CPU lines ("cpu0 ...") are skipped.
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() < 4 || line.substr(0, 4) != "cpu ") continue;
    std::uint64_t v[8] = {};
    std::size_t n = 0;
    std::size_t i = 4;
    while (n < 8 && i < line.size()) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || line[i] < '0' || line[i] > '9') break;
      std::uint64_t x = 0;
      while (i < line.size() && line[i] >= '0' && line[i] <= '9') x = x * 10 + (line[i++] - '0');
      v[n++] = x;
    }
    if (n < 8) return std::nullopt;
    return proc_stat_times{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  }
  return std::nullopt;
}

std::optional<proc_stat_times> proc_stat_times::now() noexcept {
  try {
    std::ifstream f("/proc/stat");
    std::string line;
    if (!std::getline(f, line)) return std::nullopt;  // the aggregate line is the first
    return parse(line);
  } catch (...) {
    return std::nullopt;
  }
}

host_noise host_noise::between(const proc_stat_times& a, const proc_stat_times& b, double own_cpu_s,
                               double tick_s) noexcept {
  // Counters only grow; a reading that went back (a CPU taken offline drops
  // its ticks from the sum) counts as nothing rather than as a huge number.
  auto delta = [](std::uint64_t from, std::uint64_t to) { return to > from ? to - from : 0; };
  host_noise n;
  n.steal_s = static_cast<double>(delta(a.steal, b.steal)) * tick_s;
  const double busy_s = static_cast<double>(delta(a.busy(), b.busy())) * tick_s;
  // The machine's busy time includes ours; what is left is the others'. Ticks
  // are coarse (10 ms), so a quiet machine can read a little below our own CPU.
  n.foreign_cpu_s = std::max(0.0, busy_s - own_cpu_s);
  return n;
}

host_noise_shares host_noise_shares::of(double steal_s, double foreign_cpu_s, double window_s,
                                        int cpus) noexcept {
  host_noise_shares s;
  if (steal_s < 0 || foreign_cpu_s < 0 || !(window_s > 0) || cpus <= 0) return s;
  s.steal = steal_s / (window_s * cpus);
  s.foreign_cores = foreign_cpu_s / window_s;
  s.taken = (steal_s + foreign_cpu_s) / (window_s * cpus);
  return s;
}

std::string host_noise_warning(const run_record& r) {
  const host_noise_shares s =
      host_noise_shares::of(r.host_steal_s, r.host_foreign_cpu_s, r.window_s, r.host_cpus);
  if (!s.noisy()) return "";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "the host took %.1f%% of the CPU during this run (steal %.1f%% of %d CPUs, other "
                "processes %.0f%% of a core); compare with care",
                100 * s.taken, 100 * s.steal, r.host_cpus, 100 * s.foreign_cores);
  return buf;
}

std::vector<std::string> host_noise_warnings(const std::vector<run_record>& runs) {
  std::vector<std::string> out;
  const run_record* worst = nullptr;
  double worst_taken = -1;
  int ok = 0;
  for (const run_record& r : runs) {
    if (r.status != run_status::ok) continue;
    ++ok;
    if (std::string w = host_noise_warning(r); !w.empty()) {
      out.push_back(short_name(r.config) + ": " + w);
      const double taken =
          host_noise_shares::of(r.host_steal_s, r.host_foreign_cpu_s, r.window_s, r.host_cpus)
              .taken;
      if (taken > worst_taken) {
        worst_taken = taken;
        worst = &r;
      }
    }
  }
  // A busy host makes most runs noisy: one line then, not one per run (each
  // run's figures are in its record).
  if (out.size() > max_host_noise_warnings) {
    const std::size_t n = out.size();
    out.clear();
    out.push_back(std::to_string(n) + " of " + std::to_string(ok) +
                  " runs had a noisy host (steal over 2% or other processes over 5% of a core; "
                  "each run's host_noise has its figures); the worst, " +
                  short_name(worst->config) + ": " + host_noise_warning(*worst));
  }
  return out;
}

}  // namespace ccbench
