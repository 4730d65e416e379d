#include "harness/cli/net_runs.hpp"

#include <cstdio>
#include <optional>
#include <stdexcept>

#include "harness/cli/registry.hpp"
#include "harness/cli/serve.hpp"
#include "harness/cli/server_child.hpp"
#include "harness/error.hpp"
#include "harness/net_session.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

// Descriptors a run holds besides its connections: the runner's, the
// model's (epoll, eventfds, pipes to workers), stdio. Generous.
constexpr std::uint64_t other_descriptors = 64;

// Connections a run opens at most: one per client that can be in a net step
// at once (a cooperative model's tasks in flight, a thread per client), or
// one per worker thread of a pool (or per worker process, each in its own
// table).
std::uint64_t connections_needed(const run_config& c) {
  const model_info* m = find_model(c.model);
  const bool per_worker = m != nullptr && m->traits.uses_threads && !m->traits.cooperative;
  if (per_worker) return static_cast<std::uint64_t>(c.options.threads);
  if (c.arrival == arrival_kind::open) {
    // What the driver opens ahead: arrivals in flight, the rate times a
    // task's length; what a queue builds up past that is the run's own limit.
    return net::open_loop_connections(c.rate, workload::parse(c.workload).mean_task_time());
  }
  return c.concurrency;
}

}  // namespace

bool has_net_steps(const run_config& c) { return workload::parse(c.workload).has(step_kind::net); }

void check_net_limits(std::span<const run_config> runs) {
  std::optional<long> limit;
  for (const run_config& c : runs) {
    if (!has_net_steps(c)) continue;
    if (!limit) limit = raise_open_file_limit();
    const std::uint64_t need = connections_needed(c) + other_descriptors;
    if (*limit > 0 && need > static_cast<std::uint64_t>(*limit)) {
      // Named as the run was asked for: its clients, or its rate.
      const bool open = c.arrival == arrival_kind::open;
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", c.rate);
      throw config_error((open ? "--rate " + std::string(rate)
                               : "--concurrency " + std::to_string(c.concurrency)) +
                         " with net steps (" + c.workload + ", model " + c.model +
                         ") needs about " + std::to_string(need) + " open files, " +
                         (open ? "a connection per arrival in flight" : "a connection per client") +
                         "; the open-file limit is " + std::to_string(*limit) +
                         " (ulimit -n; its hard limit cannot be passed)");
    }
  }
}

run_record run_with_server(run_config c, const std::function<run_record(const run_config&)>& run,
                           std::vector<std::string>& warnings) {
  if (!has_net_steps(c)) return run(c);
  // A failure that does not say which server (a worker process's death)
  // names it: a refused or unreachable server is the usual cause.
  auto name_server = [&c](run_record& r) {
    if (r.status != run_status::ok && r.error.find(c.server) == std::string::npos) {
      r.error += " (the delay server of its net steps: " + c.server + ")";
    }
  };
  if (!c.server.empty()) {
    run_record r = run(c);
    r.config.server = c.server;
    r.net_server_origin = "external";
    name_server(r);
    return r;
  }
  std::optional<server_child> server;
  try {
    server.emplace();
  } catch (const std::exception& e) {
    run_record failed;
    failed.config = c;
    failed.status = run_status::error;
    failed.error = e.what();
    return failed;
  }
  c.server = server->address();
  c.server_pid = server->pid();
  run_record r = run(c);
  const server_child_report report = server->stop();
  r.config.server = c.server;
  r.net_server_origin = "child";
  name_server(r);
  if (!report.ok) {
    warnings.push_back("the delay server of run " + c.model + " " + c.workload +
                       " gave no report: " + report.error);
    return r;
  }
  r.net_server_requests = static_cast<std::int64_t>(report.requests);
  if (report.requests > 0) r.net_server_cpu_per_request_us = report.cpu_s / report.requests * 1e6;
  r.net_server_lateness_p99_us = report.lateness_p99_us;
  r.net_server_lateness_max_us = report.lateness_max_us;
  // The server was the bottleneck when its replies left late (p99 over 10%
  // of the task's mean net time) or it used most of a core.
  const double net_us = to_us(workload::parse(c.workload).mean_time(step_kind::net));
  const double busy = r.wall_s > 0 ? report.cpu_s / r.wall_s : 0;
  if ((net_us > 0 && report.lateness_p99_us > 0.1 * net_us) || busy > 0.8) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "the delay server may have been the bottleneck of run %s %s c=%llu: its replies "
                  "left %.0f us late at p99 (%.0f us of net steps per task), and it used %.0f%% "
                  "of a core",
                  c.model.c_str(), c.workload.c_str(),
                  static_cast<unsigned long long>(c.concurrency), report.lateness_p99_us, net_us,
                  busy * 100);
    warnings.emplace_back(text);
  }
  return r;
}

}  // namespace ccbench
