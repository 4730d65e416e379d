#include "harness/summary_csv.hpp"

#include <cmath>
#include <sstream>

namespace ccbench {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string csv_num(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

}  // namespace

std::string to_summary_csv(const results& r) {
  std::ostringstream os;
  os << "model,offload,threads,workload,scenario,arrival,concurrency,rate,duration_s,repetition,"
        "completed,drained,errors,throughput_per_s,offered_per_s,"
        "latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,latency_max_us,"
        "latency_mean_us,latency_min_us,stall_p50_us,stall_p99_us,stall_max_us,stall_count_over_"
        "threshold,"
        "stall_threshold_us,stall_total_ms,cpu_user_s,cpu_sys_s,ctx_switches_voluntary,"
        "ctx_switches_involuntary,rss_peak_kb,status,error\n";
  for (const run_record& x : r.runs) {
    const run_config& c = x.config;
    os << csv_field(c.model) << ',' << to_string(c.options.offload) << ',' << c.options.threads
       << ',' << csv_field(c.workload) << ',' << csv_field(c.scenario) << ','
       << to_string(c.arrival) << ',' << c.concurrency << ',' << csv_num(c.rate) << ','
       << csv_num(to_s(c.duration)) << ',' << c.repetition << ',' << x.completed << ',' << x.drained
       << ',' << x.errors << ',' << csv_num(x.throughput_per_s) << ',' << csv_num(x.offered_per_s)
       << ',' << csv_num(x.latency.p50) << ',' << csv_num(x.latency.p90) << ','
       << csv_num(x.latency.p99) << ',' << csv_num(x.latency.p999) << ',' << csv_num(x.latency.max)
       << ',' << csv_num(x.latency.mean) << ',' << csv_num(x.latency.min) << ','
       << csv_num(x.stall.p50) << ',' << csv_num(x.stall.p99) << ',' << csv_num(x.stall.max) << ','
       << x.stall.count_over_threshold << ',' << csv_num(x.stall.threshold_us) << ','
       << csv_num(x.stall.total_ms) << ',' << csv_num(x.cpu_user_s) << ',' << csv_num(x.cpu_sys_s)
       << ',' << x.ctx_voluntary << ',' << x.ctx_involuntary << ',' << x.rss_peak_kb << ','
       << to_string(x.status) << ',' << csv_field(x.error) << '\n';
  }
  return os.str();
}

}  // namespace ccbench
