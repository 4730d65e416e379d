#include "harness/cli/matrix.hpp"

#include <algorithm>
#include <utility>

#include "harness/cli/registry.hpp"
#include "harness/error.hpp"

namespace ccbench {

std::vector<std::string> split_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string piece = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (piece.empty()) {
      throw config_error(flag + " '" + text + "': empty item in the list");
    }
    out.push_back(std::move(piece));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

namespace {

// The (--cpus k, --threads t) pairs a model runs at: k = 0 without --cpus. A
// model's default --threads follows k (k threads on k CPUs); one that ignores
// --threads runs with 1.
std::vector<std::pair<int, int>> cpus_and_threads(const matrix_spec& spec,
                                                  const model_traits& traits) {
  std::vector<std::pair<int, int>> out;
  for (const int k : spec.cpus.empty() ? std::vector<int>{0} : spec.cpus) {
    if (!traits.uses_threads) {
      out.emplace_back(k, 1);
    } else if (spec.threads.empty()) {
      out.emplace_back(k, std::max(k, 1));
    } else {
      for (const int t : spec.threads) out.emplace_back(k, t);
    }
  }
  return out;
}

}  // namespace

std::vector<run_config> expand(const matrix_spec& spec) {
  std::vector<const model_info*> models;
  for (const std::string& name : spec.models) {
    const model_info* m = find_model(name);
    if (m == nullptr) {
      std::string known;
      for (const model_info& r : registered_models()) {
        known += (known.empty() ? "" : ", ") + std::string(r.name);
      }
      throw config_error("--model '" + name + "': unknown model (use " + known + ")");
    }
    models.push_back(m);
  }
  for (const model_info* m : models) {
    bool any = false;
    for (offload_mode o : spec.offloads) {
      any |= o == offload_mode::none || (o == offload_mode::thread && m->traits.offload_thread) ||
             (o == offload_mode::process && m->traits.offload_process);
    }
    if (!any) {
      throw config_error("--offload: model '" + std::string(m->name) +
                         "' supports none of the offload modes given (it runs every step "
                         "itself; add 'none')");
    }
  }

  // Each load point is a closed-loop concurrency or an open-loop rate.
  struct load_point {
    arrival_kind arrival;
    std::uint64_t concurrency;
    double rate;
  };
  std::vector<load_point> points;
  if (spec.rates.empty()) {
    for (std::uint64_t c : spec.concurrency) points.push_back({arrival_kind::closed, c, 0});
  } else {
    for (double r : spec.rates) points.push_back({arrival_kind::open, 0, r});
  }

  std::vector<run_config> out;
  for (int rep = 0; rep < spec.repetitions; ++rep) {
    for (const named_workload& w : spec.workloads) {
      for (const load_point& point : points) {
        for (const model_info* m : models) {
          for (offload_mode o : spec.offloads) {
            if ((o == offload_mode::thread && !m->traits.offload_thread) ||
                (o == offload_mode::process && !m->traits.offload_process)) {
              continue;
            }
            for (const auto& [k, t] : cpus_and_threads(spec, m->traits)) {
              run_config cfg = spec.base;
              cfg.cpus = k;
              cfg.model = std::string(m->name);
              cfg.options.threads = t;
              cfg.options.offload = o;
              cfg.options.offload_threads = spec.offload_threads;
              if (m->traits.python) {
                cfg.options.python = spec.python.empty() ? "/usr/bin/python3" : spec.python;
              }
              cfg.workload = w.spec;
              cfg.scenario = w.scenario;
              cfg.arrival = point.arrival;
              cfg.concurrency = point.concurrency;
              cfg.rate = point.rate;
              cfg.repetition = rep;
              const bool dup = std::any_of(out.begin(), out.end(), [&](const run_config& x) {
                return x.repetition == rep && x.model == cfg.model && x.options.threads == t &&
                       x.options.offload == o && x.workload == cfg.workload &&
                       x.arrival == cfg.arrival && x.concurrency == cfg.concurrency &&
                       x.rate == cfg.rate && x.cpus == cfg.cpus;
              });
              if (!dup) out.push_back(std::move(cfg));
            }
          }
        }
      }
    }
  }
  return out;
}

}  // namespace ccbench
