#include "harness/cli/scaling_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "harness/cli/suite.hpp"

namespace ccbench {

std::vector<scaling_line> scaling_lines(const std::vector<run_record>& runs) {
  std::vector<scaling_line> lines;
  // Per line, per k: the throughputs of its repetitions.
  std::vector<std::map<int, std::vector<double>>> at;
  for (const run_record& r : runs) {
    if (r.config.group != "scaling" || r.status != run_status::ok || r.config.cpus <= 0) continue;
    std::string model = r.config.model;
    if (r.config.options.offload != offload_mode::none) {
      model += "+" + std::string(to_string(r.config.options.offload));
    }
    const std::string workload = r.config.scenario.empty() ? r.config.workload : r.config.scenario;
    auto it = std::find_if(lines.begin(), lines.end(), [&](const scaling_line& l) {
      return l.model == model && l.workload == workload;
    });
    if (it == lines.end()) {
      lines.push_back({model, workload, {}, 0, {}});
      at.emplace_back();
      it = lines.end() - 1;
    }
    at[static_cast<std::size_t>(it - lines.begin())][r.config.cpus].push_back(r.throughput_per_s);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (const auto& [k, xs] : at[i]) {
      double sum = 0;
      for (const double x : xs) sum += x;
      lines[i].points.push_back({static_cast<double>(k), sum / static_cast<double>(xs.size())});
    }
    const std::vector<usl_point>& p = lines[i].points;
    if (!p.empty() && p.front().k == 1 && p.front().x > 0)
      lines[i].speedup = p.back().x / p.front().x;
    lines[i].fit = fit_usl(p);
  }
  return lines;
}

void print_scaling(std::ostream& out, const std::vector<scaling_line>& lines) {
  if (lines.empty()) return;
  out << "\nScaling: tasks/s per core at k CPUs, the speed-up at the most, and the Universal "
         "Scalability Law\nX(k) = lambda k / (1 + sigma (k-1) + kappa k (k-1)); sigma: "
         "contention, kappa: coherency\n";
  std::vector<std::string> caveats;
  for (const scaling_line& l : lines) {
    std::string per_core;
    for (const usl_point& p : l.points) {
      per_core += "  k=" + std::to_string(std::lround(p.k)) + ": " + format_rate(p.x / p.k);
    }
    char fit[160];
    if (l.fit.points >= 2 && l.fit.lambda > 0) {
      char peak[32] = "none";
      if (l.fit.peak_k > 0) std::snprintf(peak, sizeof peak, "%.1f", l.fit.peak_k);
      std::snprintf(fit, sizeof fit, "  sigma %.3f  kappa %.4f  peak k %s%s", l.fit.sigma,
                    l.fit.kappa, peak, l.fit.trusted ? "" : " (not trusted)");
    } else {
      std::snprintf(fit, sizeof fit, "  no fit");
    }
    char speedup[48] = "";
    if (l.speedup > 0 && l.points.size() > 1) {
      std::snprintf(speedup, sizeof speedup, "  speed-up x%.2f at %ld", l.speedup,
                    std::lround(l.points.back().k));
    }
    out << "  " << l.model << "  " << l.workload << per_core << speedup << fit << '\n';
    if (!l.fit.caveat.empty()) {
      const std::string c =
          "the fit " + std::string(l.fit.trusted ? "" : "cannot be trusted: ") + l.fit.caveat;
      if (std::find(caveats.begin(), caveats.end(), c) == caveats.end()) caveats.push_back(c);
    }
  }
  for (const std::string& c : caveats) out << "  note: " << c << '\n';
}

void scaling_reporter::on_end(const results& final_results) {
  print_scaling(out_, scaling_lines(final_results.runs));
}

}  // namespace ccbench
