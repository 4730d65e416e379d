#include "harness/result_fields.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <type_traits>
#include <utility>

#include "harness/run_config.hpp"

namespace ccbench {
namespace {

nanoseconds from_s(double s) {
  return nanoseconds(static_cast<std::int64_t>(std::llround(s * 1e9)));
}

// Paths made at start-up (latency_us.p50, latency_uncorrected_us.p50, ...)
// live as long as the tables that point into them.
std::string_view intern(std::string s) {
  static std::deque<std::string> kept;
  return kept.emplace_back(std::move(s));
}

// A member reached through a chain of member pointers: at<&run_record::latency,
// &latency_summary::p99>(r) is r.latency.p99.
template <auto... members, class Record>
auto& at(Record& r) {
  return (r.*....*members);  // a fold over .*: (r.*m1).*m2 ...
}

template <class T>
constexpr field_kind kind_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return field_kind::flag;
  } else if constexpr (std::is_floating_point_v<T>) {
    return field_kind::number;
  } else if constexpr (std::is_unsigned_v<T>) {
    return field_kind::count;
  } else if constexpr (std::is_integral_v<T>) {
    return field_kind::integer;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return field_kind::text;
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    return field_kind::numbers;
  } else {
    static_assert(std::is_same_v<T, std::vector<std::uint64_t>>, "no field_kind for this type");
    return field_kind::counts;
  }
}

template <class T>
field_value value_of(const T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(x);
  } else if constexpr (std::is_unsigned_v<T>) {
    return static_cast<std::uint64_t>(x);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::int64_t>(x);
  } else {
    return x;
  }
}

// Null (or a value of another kind) reads as T's zero: results files write a
// NaN number as null, and it has always read back as 0.
template <class T>
T value_as(const field_value& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return std::visit(
        [](const auto& x) -> T {
          if constexpr (std::is_arithmetic_v<std::decay_t<decltype(x)>>) {
            return static_cast<T>(x);
          } else {
            return T{};
          }
        },
        v);
  } else {
    const T* p = std::get_if<T>(&v);
    return p != nullptr ? *p : T{};
  }
}

template <class Record, auto... members>
using member_t = std::remove_cvref_t<decltype((std::declval<Record&>().*....*members))>;

// A field that is a member of the record, as it is.
template <class Record, auto... members>
field<Record> member(std::string_view path, std::string_view column) {
  using T = member_t<Record, members...>;
  return {path, column, kind_of<T>(), [](const Record& r) { return value_of(at<members...>(r)); },
          [](Record& r, const field_value& v) { at<members...>(r) = value_as<T>(v); }};
}

template <auto... members>
run_field run(std::string_view path, std::string_view column = {}) {
  return member<run_record, members...>(path, column);
}

template <auto... members>
context_field context(std::string_view path) {
  return member<host_context, members...>(path, {});
}

// A number where a negative value means "not applicable": written null, and
// null reads back as -1.
template <class Record, auto... members>
field<Record> negative_is_null_in(std::string_view path, std::string_view column = {}) {
  using T = member_t<Record, members...>;
  return {path, column, kind_of<T>(),
          [](const Record& r) -> field_value {
            const T x = at<members...>(r);
            if (x < 0) return std::monostate{};
            return value_of(x);
          },
          [](Record& r, const field_value& v) {
            at<members...>(r) = std::holds_alternative<std::monostate>(v) ? T{-1} : value_as<T>(v);
          }};
}

template <auto... members>
run_field negative_is_null(std::string_view path, std::string_view column = {}) {
  return negative_is_null_in<run_record, members...>(path, column);
}

// A duration of the configuration, in seconds.
template <auto member_of_config>
run_field seconds(std::string_view path, std::string_view column = {}) {
  return {path, column, field_kind::number,
          [](const run_record& r) -> field_value { return to_s(r.config.*member_of_config); },
          [](run_record& r, const field_value& v) {
            r.config.*member_of_config = from_s(value_as<double>(v));
          }};
}

// Text where "" means "none": written null, and null reads back as "".
template <auto... members>
run_field empty_is_null(std::string_view path) {
  return {
      path,
      {},
      field_kind::text,
      [](const run_record& r) -> field_value {
        const std::string& s = at<members...>(r);
        if (s.empty()) return std::monostate{};
        return s;
      },
      [](run_record& r, const field_value& v) { at<members...>(r) = value_as<std::string>(v); }};
}

run_field omit_null(run_field f) {
  f.omit_null = true;
  return f;
}

run_field required(run_field f) {
  f.required = true;
  return f;
}

constexpr std::string_view offload_modes[] = {"none", "thread", "process"};
constexpr std::string_view arrival_kinds[] = {"closed", "open"};
constexpr std::string_view run_statuses[] = {"ok", "error", "timeout"};
constexpr std::string_view thread_sizings[] = {"one", "cores", "per_task"};

// latency_us and latency_uncorrected_us: the same eight fields; summary.csv
// has the first seven of latency_us as latency_<name>_us.
template <auto summary>
void add_latency(std::vector<run_field>& out, std::string_view object, bool columns) {
  using L = latency_summary;
  auto path = [&](std::string_view name) {
    return intern(std::string(object) + "." + std::string(name));
  };
  auto column = [&](std::string_view name) {
    return columns ? intern("latency_" + std::string(name) + "_us") : std::string_view();
  };
  out.push_back(run<summary, &L::p50>(path("p50"), column("p50")));
  out.push_back(run<summary, &L::p90>(path("p90"), column("p90")));
  out.push_back(run<summary, &L::p99>(path("p99"), column("p99")));
  out.push_back(run<summary, &L::p999>(path("p999"), column("p999")));
  out.push_back(run<summary, &L::max>(path("max"), column("max")));
  out.push_back(run<summary, &L::mean>(path("mean"), column("mean")));
  out.push_back(run<summary, &L::min>(path("min"), column("min")));
  out.push_back(run<summary, &L::count>(path("count")));
}

// latency_ci_us: each percentile's interval as {low, high}, an unbounded side
// null; summary.csv has them as latency_<name>_ci_low_us and _ci_high_us.
template <auto interval>
void add_latency_ci(std::vector<run_field>& out, std::string_view object) {
  using I = latency_interval;
  using P = percentile_ci;
  out.push_back(run<interval, &I::confidence>(intern(std::string(object) + ".confidence")));
  auto add = [&]<auto percentile>(std::string_view name) {
    const std::string at = std::string(object) + "." + std::string(name);
    const std::string column = "latency_" + std::string(name) + "_ci_";
    out.push_back(negative_is_null<interval, percentile, &P::low>(intern(at + ".low"),
                                                                  intern(column + "low_us")));
    out.push_back(negative_is_null<interval, percentile, &P::high>(intern(at + ".high"),
                                                                   intern(column + "high_us")));
  };
  add.template operator()<&I::p50>("p50");
  add.template operator()<&I::p90>("p90");
  add.template operator()<&I::p99>("p99");
  add.template operator()<&I::p999>("p999");
}

std::vector<field<class_result>> make_class_fields() {
  using K = class_result;
  using L = latency_summary;
  std::vector<field<class_result>> f;
  f.push_back(member<K, &K::name>("name", "class_name"));
  f.push_back(member<K, &K::weight>("weight", "class_weight"));
  f.push_back(member<K, &K::share>("share", "class_share"));
  f.push_back(member<K, &K::task_mean_us>("task_mean_us", ""));
  f.push_back(member<K, &K::completed>("completed", "class_completed"));
  f.push_back(member<K, &K::drained>("drained", ""));
  // As add_latency(): the run's latency_us fields, for this class's tasks.
  f.push_back(member<K, &K::latency, &L::p50>("latency_us.p50", "class_latency_p50_us"));
  f.push_back(member<K, &K::latency, &L::p90>("latency_us.p90", "class_latency_p90_us"));
  f.push_back(member<K, &K::latency, &L::p99>("latency_us.p99", "class_latency_p99_us"));
  f.push_back(member<K, &K::latency, &L::p999>("latency_us.p999", "class_latency_p999_us"));
  f.push_back(member<K, &K::latency, &L::max>("latency_us.max", "class_latency_max_us"));
  f.push_back(member<K, &K::latency, &L::mean>("latency_us.mean", ""));
  f.push_back(member<K, &K::latency, &L::min>("latency_us.min", ""));
  f.push_back(member<K, &K::latency, &L::count>("latency_us.count", ""));
  // As latency_ci_us: the intervals of this class's percentiles (JSON only).
  using I = latency_interval;
  using P = percentile_ci;
  f.push_back(member<K, &K::latency_ci, &I::confidence>("latency_ci_us.confidence", ""));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p50, &P::low>("latency_ci_us.p50.low"));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p50, &P::high>("latency_ci_us.p50.high"));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p90, &P::low>("latency_ci_us.p90.low"));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p90, &P::high>("latency_ci_us.p90.high"));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p99, &P::low>("latency_ci_us.p99.low"));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p99, &P::high>("latency_ci_us.p99.high"));
  f.push_back(negative_is_null_in<K, &K::latency_ci, &I::p999, &P::low>("latency_ci_us.p999.low"));
  f.push_back(
      negative_is_null_in<K, &K::latency_ci, &I::p999, &P::high>("latency_ci_us.p999.high"));
  f.push_back(member<K, &K::stall_log_ms>("stall_log_ms", ""));
  f.push_back(member<K, &K::stall_log_share>("stall_log_share", "class_stall_log_share"));
  f.push_back(member<K, &K::latency_bucket_ns>("latency_histogram.value_ns", ""));
  f.push_back(member<K, &K::latency_bucket_count>("latency_histogram.count", ""));
  return f;
}

std::vector<run_field> make_run_fields() {
  using R = run_record;
  using C = run_config;
  constexpr auto config = &R::config;
  std::vector<run_field> f;

  // The configuration.
  f.push_back(required(run<config, &C::model>("model", "model")));
  f.push_back(
      {"offload", "offload", field_kind::text,
       [](const R& r) -> field_value { return std::string(to_string(r.config.options.offload)); },
       [](R& r, const field_value& v) {
         r.config.options.offload = parse_offload(value_as<std::string>(v), "offload");
       },
       offload_modes});
  f.push_back(run<config, &C::options, &model_options::threads>("threads", "threads"));
  f.push_back(required(run<config, &C::workload>("workload", "workload")));
  f.push_back(run<config, &C::scenario>("scenario", "scenario"));
  f.push_back({"arrival", "arrival", field_kind::text,
               [](const R& r) -> field_value { return std::string(to_string(r.config.arrival)); },
               [](R& r, const field_value& v) {
                 r.config.arrival =
                     value_as<std::string>(v) == "open" ? arrival_kind::open : arrival_kind::closed;
               },
               arrival_kinds});
  f.push_back(run<config, &C::concurrency>("concurrency", "concurrency"));
  f.push_back(run<config, &C::rate>("rate", "rate"));
  // The window read back is the configured one.
  // With --precision, the window it came to (precision.min_duration_s is --duration).
  f.push_back({"duration_s", "duration_s", field_kind::number,
               [](const R& r) -> field_value {
                 return r.config.precision > 0 && r.window_s > 0 ? r.window_s
                                                                 : to_s(r.config.duration);
               },
               [](R& r, const field_value& v) {
                 r.config.duration = from_s(value_as<double>(v));
                 r.window_s = to_s(r.config.duration);
               }});
  f.push_back(seconds<&C::warmup>("warmup_s"));
  // Written as the bound that applied; read back as an explicit --timeout.
  f.push_back({"timeout_s", "", field_kind::number,
               [](const R& r) -> field_value { return to_s(r.config.effective_timeout()); },
               [](R& r, const field_value& v) { r.config.timeout = from_s(value_as<double>(v)); }});
  f.push_back(run<config, &C::seed>("seed"));
  f.push_back(run<config, &C::repetition>("repetition", "repetition"));

  // Tasks.
  f.push_back(run<&R::completed>("completed", "completed"));
  f.push_back(run<&R::drained>("drained", "drained"));
  f.push_back(run<&R::errors>("errors", "errors"));
  f.push_back(run<&R::issued>("issued"));
  f.push_back(run<&R::throughput_per_s>("throughput_per_s", "throughput_per_s"));
  f.push_back(run<&R::offered_per_s>("offered_per_s", "offered_per_s"));
  add_latency<&R::latency>(f, "latency_us", true);

  // The stall probe.
  using S = stall_summary;
  f.push_back(run<&R::stall, &S::p50>("stall_us.p50", "stall_p50_us"));
  f.push_back(run<&R::stall, &S::p99>("stall_us.p99", "stall_p99_us"));
  f.push_back(run<&R::stall, &S::max>("stall_us.max", "stall_max_us"));
  f.push_back(run<&R::stall, &S::count_over_threshold>("stall_us.count_over_threshold",
                                                       "stall_count_over_threshold"));
  f.push_back({"stall_us.threshold_us", "stall_threshold_us", field_kind::number,
               [](const R& r) -> field_value { return r.stall.threshold_us; },
               [](R& r, const field_value& v) {
                 r.stall.threshold_us = value_as<double>(v);
                 r.config.stall_threshold = from_s(r.stall.threshold_us / 1e6);
               }});
  f.push_back(run<&R::stall, &S::total_ms>("stall_us.total_ms", "stall_total_ms"));
  f.push_back({"stall_us.period_us", "", field_kind::number,
               [](const R& r) -> field_value { return to_us(r.config.stall_period); },
               [](R& r, const field_value& v) {
                 r.config.stall_period = from_s(value_as<double>(v) / 1e6);
               }});
  f.push_back(run<&R::stall, &S::samples>("stall_us.samples"));

  // Resources.
  f.push_back(run<&R::cpu_user_s>("cpu_s.user", "cpu_user_s"));
  f.push_back(run<&R::cpu_sys_s>("cpu_s.sys", "cpu_sys_s"));
  f.push_back(run<&R::ctx_voluntary>("ctx_switches.voluntary", "ctx_switches_voluntary"));
  f.push_back(run<&R::ctx_involuntary>("ctx_switches.involuntary", "ctx_switches_involuntary"));
  f.push_back(run<&R::rss_peak_kb>("rss_peak_kb", "rss_peak_kb"));
  f.push_back(run<&R::rss_start_kb>("rss_start_kb"));
  f.push_back(run<&R::wall_s>("wall_s"));

  // The outcome. Any status but ok and timeout reads as error.
  f.push_back({"status", "status", field_kind::text,
               [](const R& r) -> field_value { return std::string(to_string(r.status)); },
               [](R& r, const field_value& v) {
                 const std::string s = value_as<std::string>(v);
                 r.status = s == "ok"        ? run_status::ok
                            : s == "timeout" ? run_status::timeout
                                             : run_status::error;
               },
               run_statuses});
  f.push_back(run<&R::error>("error", "error"));
  f.push_back(
      {"model_facts", "", field_kind::facts,
       [](const R& r) -> field_value { return r.model_facts; },
       [](R& r, const field_value& v) { r.model_facts = value_as<std::vector<model_fact>>(v); }});
  f.push_back(run<config, &C::group>("group"));
  f.push_back(run<&R::task_mean_io_us>("task_mean_us.io"));
  f.push_back(run<&R::task_mean_cpu_us>("task_mean_us.cpu"));
  f.push_back(run<&R::task_mean_block_us>("task_mean_us.block"));
  f.push_back(run<&R::task_mean_net_us>("task_mean_us.net"));
  f.push_back({"task_mean_us.total", "", field_kind::number,
               [](const R& r) -> field_value {
                 return r.task_mean_io_us + r.task_mean_cpu_us + r.task_mean_block_us +
                        r.task_mean_net_us;
               },
               nullptr});

  // The instruments.
  add_latency<&R::latency_uncorrected>(f, "latency_uncorrected_us", false);
  f.push_back(run<&R::spectrum_percentiles>("latency_spectrum.percentiles"));
  f.push_back(run<&R::spectrum_corrected_us>("latency_spectrum.corrected_us"));
  f.push_back(run<&R::spectrum_uncorrected_us>("latency_spectrum.uncorrected_us"));
  f.push_back(negative_is_null<&R::generator_lag_ms>("generator_lag_ms"));
  f.push_back(run<&R::slow_threshold_us>("slow_resumes.threshold_us"));
  f.push_back(run<&R::slow_resumes>("slow_resumes.count"));
  f.push_back(run<&R::resumes>("slow_resumes.resumes"));
  f.push_back(run<&R::resume_p99_us>("slow_resumes.p99_us"));
  f.push_back(run<&R::resume_max_us>("slow_resumes.max_us"));
  f.push_back(negative_is_null<&R::busy_ratio>("busy_ratio"));
  f.push_back(run<&R::queue_wait_p50_us>("queue_wait_us.p50"));
  f.push_back(run<&R::queue_wait_p99_us>("queue_wait_us.p99"));
  f.push_back(run<&R::queue_wait_max_us>("queue_wait_us.max"));
  f.push_back(run<&R::queue_waits>("queue_wait_us.count"));
  f.push_back(
      {"stall_log", "", field_kind::stall_events,
       [](const R& r) -> field_value { return r.stall_log; },
       [](R& r, const field_value& v) { r.stall_log = value_as<std::vector<stall_event>>(v); }});
  using T = time_series;
  f.push_back(run<&R::series, &T::interval_ms>("timeseries.interval_ms"));
  f.push_back(run<&R::series, &T::t_ms>("timeseries.t_ms"));
  f.push_back(run<&R::series, &T::completed>("timeseries.completed"));
  f.push_back(run<&R::series, &T::p99_us>("timeseries.p99_us"));
  f.push_back(run<&R::series, &T::stall_max_us>("timeseries.stall_max_us"));

  // What the registry says of the model, so that readers need no list of models.
  using M = model_traits;
  f.push_back(run<&R::traits, &M::uses_threads>("model_traits.uses_threads"));
  f.push_back(run<&R::traits, &M::cooperative>("model_traits.cooperative"));
  f.push_back({"model_traits.offload", "", field_kind::texts,
               [](const R& r) -> field_value {
                 std::vector<std::string> modes = {"none"};
                 if (r.traits.offload_thread) modes.emplace_back("thread");
                 if (r.traits.offload_process) modes.emplace_back("process");
                 return modes;
               },
               [](R& r, const field_value& v) {
                 const auto modes = value_as<std::vector<std::string>>(v);
                 auto has = [&](std::string_view m) {
                   return std::find(modes.begin(), modes.end(), m) != modes.end();
                 };
                 r.traits.offload_thread = has("thread");
                 r.traits.offload_process = has("process");
               },
               offload_modes});
  f.push_back(run<&R::traits, &M::sweep>("model_traits.sweep"));
  // Any other value (or none, in files older than the field) reads as cores.
  f.push_back(
      {"model_traits.sweep_threads", "", field_kind::text,
       [](const R& r) -> field_value { return std::string(to_string(r.traits.sweep_threads)); },
       [](R& r, const field_value& v) {
         const std::string s = value_as<std::string>(v);
         r.traits.sweep_threads = s == "one"        ? thread_sizing::one
                                  : s == "per_task" ? thread_sizing::per_task
                                                    : thread_sizing::cores;
       },
       thread_sizings});
  f.push_back(run<&R::traits, &M::order>("model_traits.order"));
  f.push_back(omit_null(empty_is_null<&R::traits, &M::color>("model_traits.colors.none")));
  f.push_back(omit_null(empty_is_null<&R::traits, &M::color_thread>("model_traits.colors.thread")));
  f.push_back(
      omit_null(empty_is_null<&R::traits, &M::color_process>("model_traits.colors.process")));
  f.push_back(empty_is_null<&R::traits, &M::marker>("model_traits.marker"));

  f.push_back(negative_is_null<&R::cpu_window_user_s>("cpu_window_s.user", "cpu_window_user_s"));
  f.push_back(negative_is_null<&R::cpu_window_sys_s>("cpu_window_s.sys", "cpu_window_sys_s"));
  f.push_back(run<&R::ramp_ms>("ramp_ms", "ramp_ms"));
  f.push_back(negative_is_null<&R::workers_pss_kb>("workers_pss_kb", "workers_pss_kb"));
  add_latency_ci<&R::latency_ci>(f, "latency_ci_us");
  // --precision: the window ran from duration_s's minimum until the p99 was
  // sure enough; duration_s is the window it used.
  f.push_back({"precision.target_pct", "precision_target_pct", field_kind::number,
               [](const R& r) -> field_value {
                 if (r.config.precision <= 0) return std::monostate{};
                 return r.config.precision * 100;
               },
               [](R& r, const field_value& v) { r.config.precision = value_as<double>(v) / 100; }});
  f.push_back({"precision.reached_pct", "precision_reached_pct", field_kind::number,
               [](const R& r) -> field_value {
                 if (r.precision_reached < 0) return std::monostate{};
                 return r.precision_reached * 100;
               },
               [](R& r, const field_value& v) {
                 r.precision_reached =
                     std::holds_alternative<std::monostate>(v) ? -1 : value_as<double>(v) / 100;
               }});
  f.push_back({"precision.met", "", field_kind::flag,
               [](const R& r) -> field_value {
                 return r.precision_reached >= 0 && r.precision_reached <= r.config.precision;
               },
               nullptr});
  f.push_back(seconds<&C::duration>("precision.min_duration_s"));
  f.push_back(seconds<&C::max_duration>("precision.max_duration_s"));
  // A mix's request classes (left out for a plain workload); summary.csv
  // spreads them over class_fields()' columns.
  f.push_back(omit_null(
      {"classes", "classes", field_kind::classes,
       [](const R& r) -> field_value {
         if (r.classes.empty()) return std::monostate{};
         return r.classes;
       },
       [](R& r, const field_value& v) { r.classes = value_as<std::vector<class_result>>(v); }}));
  // The latency histogram's buckets (the .hgrm export is written from them).
  f.push_back(run<&R::latency_bucket_ns>("latency_histogram.value_ns"));
  f.push_back(run<&R::latency_bucket_count>("latency_histogram.count"));
  // The user's objective (--slo) and how the run fared (harness/slo.hpp);
  // the object is null without one.
  f.push_back(run<config, &C::slo>("slo.objective", "slo"));
  f.push_back(
      {"slo.met", "slo_met", field_kind::flag,
       [](const R& r) -> field_value {
         if (r.slo_met < 0) return std::monostate{};
         return r.slo_met > 0;
       },
       [](R& r, const field_value& v) {
         r.slo_met = std::holds_alternative<std::monostate>(v) ? -1 : value_as<bool>(v) ? 1 : 0;
       }});
  f.push_back(run<&R::slo_breaches>("slo.breaches"));
  f.push_back(run<&R::slo_worst>("slo.worst", "slo_worst"));
  f.push_back(negative_is_null<&R::host_steal_s>("host_noise.steal_s", "host_steal_s"));
  f.push_back(
      negative_is_null<&R::host_foreign_cpu_s>("host_noise.foreign_cpu_s", "host_foreign_cpu_s"));
  f.push_back(negative_is_null<&R::host_cpus>("host_noise.cpus", "host_cpus"));
  f.push_back(run<config, &C::cpus>("cpus", "cpus"));
  f.push_back(empty_is_null<&R::cpu_set>("cpu_set"));
  f.push_back(omit_null(empty_is_null<config, &C::options, &model_options::python>("python")));
  // Written only for the models that have it (true), so that other rows stay as they were.
  f.push_back(omit_null({"model_traits.python", "", field_kind::flag,
                         [](const R& r) -> field_value {
                           if (!r.traits.python) return std::monostate{};
                           return true;
                         },
                         [](R& r, const field_value& v) {
                           r.traits.python = std::holds_alternative<bool>(v) && std::get<bool>(v);
                         }}));
  // Written only for the models that have it (true), as model_traits.python.
  f.push_back(omit_null({"model_traits.shares_nothing", "", field_kind::flag,
                         [](const R& r) -> field_value {
                           if (!r.traits.shares_nothing) return std::monostate{};
                           return true;
                         },
                         [](R& r, const field_value& v) {
                           r.traits.shares_nothing =
                               std::holds_alternative<bool>(v) && std::get<bool>(v);
                         }}));
  f.push_back(omit_null(empty_is_null<config, &C::server>("net_server.address")));
  f.push_back(omit_null(empty_is_null<&R::net_server_origin>("net_server.origin")));
  f.push_back(omit_null(negative_is_null<&R::net_server_requests>("net_server.requests")));
  f.push_back(omit_null(negative_is_null<&R::net_server_cpu_per_request_us>(
      "net_server.cpu_per_request_us", "net_server_cpu_per_request_us")));
  f.push_back(omit_null(negative_is_null<&R::net_server_lateness_p99_us>(
      "net_server.lateness_p99_us", "net_server_lateness_p99_us")));
  f.push_back(
      omit_null(negative_is_null<&R::net_server_lateness_max_us>("net_server.lateness_max_us")));
  f.push_back(omit_null(negative_is_null<&R::net_connections>("net_server.connections")));
  f.push_back(
      omit_null(negative_is_null<&R::net_connections_late>("net_server.connections_after_start")));
  return f;
}

}  // namespace

std::string_view to_string(run_status status) {
  switch (status) {
    case run_status::ok:
      return "ok";
    case run_status::error:
      return "error";
    case run_status::timeout:
      return "timeout";
  }
  return "?";
}

std::string_view to_string(thread_sizing sizing) {
  switch (sizing) {
    case thread_sizing::one:
      return "one";
    case thread_sizing::cores:
      return "cores";
    case thread_sizing::per_task:
      return "per_task";
  }
  return "?";
}

std::span<const run_field> run_fields() {
  static const std::vector<run_field> fields = make_run_fields();
  return fields;
}

std::span<const field<class_result>> class_fields() {
  static const std::vector<field<class_result>> fields = make_class_fields();
  return fields;
}

std::span<const field_group<run_record>> run_groups() {
  static const field_group<run_record> groups[] = {
      {"slow_resumes", [](const run_record& r) { return r.resumes > 0; }},
      {"queue_wait_us", [](const run_record& r) { return r.queue_waits > 0; }},
      {"precision", [](const run_record& r) { return r.config.precision > 0; }},
      {"slo", [](const run_record& r) { return !r.config.slo.empty(); }},
  };
  return groups;
}

std::span<const context_field> context_fields() {
  using H = host_context;
  static const context_field fields[] = {
      context<&H::host>("host"),
      context<&H::cpu_model>("cpu_model"),
      context<&H::cores>("cores"),
      context<&H::affinity>("affinity"),
      context<&H::kernel>("kernel"),
      context<&H::compiler>("compiler"),
      context<&H::cxx_flags>("cxx_flags"),
      context<&H::build_type>("build_type"),
      context<&H::boost>("boost"),
      context<&H::tbb>("tbb"),
      context<&H::git>("git"),
      context<&H::ccbench_version>("ccbench_version"),
      context<&H::started_at>("started_at"),
      context<&H::governor>("governor"),
      context<&H::turbo>("turbo"),
      context<&H::clock>("clock"),
      context<&H::load_avg_start>("load_avg.start"),
      context<&H::load_avg_end>("load_avg.end"),
      context<&H::busy_start>("busy_start"),
      context<&H::cpu_rounds_per_ns>("cpu_rounds_per_ns"),
      context<&H::wakeup_cpu_us>("wakeup_cpu_us"),
  };
  return fields;
}

const run_field* find_run_field(std::string_view path) {
  for (const run_field& f : run_fields()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace ccbench
