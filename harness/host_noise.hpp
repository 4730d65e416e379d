// The host's noise over a run's measured window: the time the hypervisor
// stole from this machine's CPUs, and the CPU that processes other than the
// run's own used. A neighbour's load must not be read as a model's cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccbench {

struct run_record;

/// The machine's CPU time so far, from the first ("cpu ") line of /proc/stat,
/// in clock ticks (USER_HZ) summed over every CPU.
struct proc_stat_times {
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;

  /// Ticks in which some CPU ran anything: user, nice, system, irq and softirq
  /// (guest time is inside user and nice). Not idle, iowait or steal.
  std::uint64_t busy() const noexcept { return user + nice + system + irq + softirq; }

  /// Parses the text of /proc/stat; nullopt when it has no "cpu " line with at
  /// least the eight fields up to steal. Pure: tests feed it fixtures.
  static std::optional<proc_stat_times> parse(std::string_view proc_stat) noexcept;
  /// /proc/stat now; nullopt when unreadable.
  static std::optional<proc_stat_times> now() noexcept;
};

/// The host's noise over a window.
struct host_noise {
  double steal_s = 0;        ///< CPU time stolen from all of the machine's CPUs
  double foreign_cpu_s = 0;  ///< CPU used by processes other than the run's (never below 0)

  /// The noise between readings `at_open` and `at_close` of /proc/stat, when
  /// the run's own process tree used `own_cpu_s` (user + sys, worker
  /// processes included) between them; `tick_s` seconds a tick. Pure.
  static host_noise between(const proc_stat_times& at_open, const proc_stat_times& at_close,
                            double own_cpu_s, double tick_s) noexcept;
};

/// Thresholds of the warning: steal over 2% of the window's CPU time, or other
/// processes using more than 5% of a core.
inline constexpr double steal_warning_share = 0.02;
inline constexpr double foreign_warning_cores = 0.05;

/// Shares of a run's window (`window_s` long, on `cpus` CPUs): steal over
/// the window's CPU time, foreign CPU in cores, and both over the CPU time
/// ("the host took N%"). Negative when unknown.
struct host_noise_shares {
  double steal = -1, foreign_cores = -1, taken = -1;
  static host_noise_shares of(double steal_s, double foreign_cpu_s, double window_s,
                              int cpus) noexcept;
  bool noisy() const noexcept {
    return steal > steal_warning_share || foreign_cores > foreign_warning_cores;
  }
};

/// The warning for a run whose host was noisy ("" when it was quiet or the
/// figures are unknown): "the host took N% of the CPU during this run; ...".
std::string host_noise_warning(const run_record& r);

/// host_noise_warning() for every run that has one, each prefixed with the
/// run; over max_host_noise_warnings of them, one line that counts them and
/// names the worst.
std::vector<std::string> host_noise_warnings(const std::vector<run_record>& runs);
inline constexpr std::size_t max_host_noise_warnings = 5;

}  // namespace ccbench
