// ccbench's command line: run, list, sweep, tour.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "harness/cli/compare.hpp"
#include "harness/cli/matrix.hpp"
#include "harness/cli/net_runs.hpp"
#include "harness/cli/registry.hpp"
#include "harness/cli/serve.hpp"
#include "harness/cli/suite.hpp"
#include "harness/cli/sweeps.hpp"
#include "harness/cli/tour.hpp"
#include "harness/cpu_set.hpp"
#include "harness/error.hpp"
#include "harness/net_protocol.hpp"
#include "harness/slo.hpp"
#include "harness/step_work.hpp"
#include "harness/workload.hpp"
#include "harness/workload_file.hpp"

namespace ccbench {
namespace {

int machine_cores() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::uint64_t parse_count(const std::string& text, const std::string& flag, std::uint64_t min,
                          std::uint64_t max) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    throw config_error(flag + " '" + text + "': expected a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

double parse_rate(const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v > 0) || v > 1e8) {
    throw config_error("--rate '" + text +
                       "': expected tasks per second, a number above 0 and "
                       "at most 100000000");
  }
  return v;
}

nanoseconds positive_duration(const std::string& text, const std::string& flag) {
  const nanoseconds d = parse_duration(text, flag);
  if (d.count() <= 0) throw config_error(flag + " '" + text + "': must be more than zero");
  return d;
}

// The registered models whose traits `fit`, comma-separated, in registry order.
template <class Fits>
std::string model_names(Fits fits) {
  std::string names;
  for (const model_info& m : registered_models()) {
    if (fits(m.traits)) names += (names.empty() ? "" : ", ") + std::string(m.name);
  }
  return names;
}

// `ccbench --help`'s examples, with models from the registry: the default model
// beside one whose threads hold their tasks' waits, and one that offloads.
std::string examples() {
  std::string out = "Examples:\n  ccbench list\n";
  const std::string first(default_model().name);
  if (const model_info* m = first_model([](const model_traits& t) { return !t.cooperative; })) {
    out += "  ccbench run --model " + first + "," + std::string(m->name) +
           " --threads 2 --workload io:20ms --concurrency 200\n";
  }
  if (const model_info* m = first_model([](const model_traits& t) { return t.offload_thread; })) {
    out += "  ccbench run --model " + std::string(m->name) +
           " --offload none,thread --workload io:5ms,block:20ms -c 10\n";
  }
  return out +
         "  ccbench sweep bench --out results/mine\n"
         "  ccbench compare results/before results/after\n"
         "  ccbench tour\n"
         "Run 'ccbench COMMAND --help' for a command's flags.";
}

// Flags shared by `run` and `sweep` that say where results go.
struct output_flags {
  std::string json, out;
  bool quiet = false, in_process = false;

  void add_to(CLI::App& app) {
    app.add_option("--json", json,
                   "Write results.json to FILE (rewritten atomically after every run)")
        ->type_name("FILE");
    app.add_option("--out", out,
                   "Write results.json and summary.csv into DIR, which must not exist yet, and "
                   "point DIR/../latest at it")
        ->type_name("DIR");
    app.add_flag("-q,--quiet", quiet, "No progress lines on stderr");
    app.add_flag("--in-process", in_process,
                 "Run models in this process instead of one child process per run (for "
                 "debugging: a crash then ends the whole suite)")
        ->group("Debugging");
  }
  suite_options options() const {
    suite_options o;
    if (!json.empty()) o.json = json;
    if (!out.empty()) o.out = out;
    o.quiet = quiet;
    o.in_process = in_process;
    return o;
  }
};

// Every class an objective names is in every workload of the run.
void check_slo_classes(const slo& objective, const std::string& text,
                       const std::vector<named_workload>& workloads) {
  for (const slo_term& t : objective.terms()) {
    if (t.class_name.empty()) continue;
    for (const named_workload& w : workloads) {
      const workload parsed = workload::parse(w.spec);
      std::string names;
      bool found = false;
      for (const request_class& c : parsed.classes()) {
        names += (names.empty() ? "" : ", ") + c.name;
        found |= c.name == t.class_name;
      }
      if (!found) {
        throw config_error(
            "bad --slo '" + text + "': class '" + t.class_name + "' is not in workload '" + w.spec +
            "'" +
            (names.empty() ? " (it has no classes: use --mix)" : " (its classes: " + names + ")"));
      }
    }
  }
}

// --python: an executable path, or a name looked up in PATH.
std::string find_python(const std::string& given) {
  if (given.empty()) throw config_error("--python '': give the interpreter's path");
  if (given.find('/') != std::string::npos) {
    if (::access(given.c_str(), X_OK) != 0 || std::filesystem::is_directory(given)) {
      throw config_error("--python '" + given + "': not an executable file");
    }
    return given;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + given;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) {
      return candidate;
    }
  }
  throw config_error("--python '" + given + "': not found in PATH");
}

struct run_flags {
  std::string model = std::string(default_model().name);
  std::string threads;
  std::string cpus;
  std::string offload = "none";
  std::string offload_threads = "0";
  std::vector<std::string> workloads;
  std::vector<std::string> mixes;
  std::vector<std::string> workload_files;
  std::string scenario;
  std::string concurrency = "64";
  std::string rate;
  std::string slow_threshold = "100us";
  std::string interval = "100ms";
  std::string duration = "2s";
  std::string warmup = "500ms";
  std::string repetitions = "1";
  std::string seed = "1";
  std::string timeout;
  std::string stall_period = "1ms";
  std::string stall_threshold = "1ms";
  std::string precision;
  std::string max_duration;
  std::string slo_text;
  std::string python = "/usr/bin/python3";
  std::string server;
  output_flags output;

  void add_to(CLI::App& app) {
    const std::string names = model_names([](const model_traits&) { return true; });
    app.add_option("-m,--model", model,
                   "Models, comma-separated: " + names + " (see `ccbench list`)")
        ->type_name("LIST")
        ->capture_default_str();
    std::string threads_help =
        "Scheduler threads or workers per model, comma-separated (default: the number of cores)";
    const std::string single = model_names([](const model_traits& t) { return !t.uses_threads; });
    if (!single.empty()) {
      threads_help +=
          "; " + single +
          (single.find(',') == std::string::npos ? " always has one" : " always have one");
    }
    app.add_option("-t,--threads", threads, threads_help)->type_name("LIST");
    app.add_option("--cpus", cpus,
                   "Restrict each run to the first k CPUs this process may use (by affinity, "
                   "before the model starts), comma-separated: a matrix over core counts. "
                   "Without --threads a model's threads follow k")
        ->type_name("LIST");
    app.add_option("--offload", offload,
                   "Where event-loop models send steps that would block them: none, thread "
                   "(block steps to a thread pool, like asyncio.to_thread), process (also cpu "
                   "steps to worker processes, like a ProcessPoolExecutor); comma-separated")
        ->type_name("LIST")
        ->capture_default_str();
    app.add_option("--offload-threads", offload_threads,
                   "Most threads the offload pool may start (0: min(32, cores + 4), asyncio's "
                   "default); with --offload process also the number of worker processes (0: "
                   "one per core)")
        ->type_name("N")
        ->capture_default_str();
    app.add_option("-w,--workload", workloads,
                   "A task as steps KIND:DURATION, e.g. io:10ms,cpu:200us,block:1ms; KIND is io, "
                   "cpu, block or net (net:10ms:16KiB: a reply of that size); ~ before the "
                   "duration draws it from an exponential "
                   "distribution, @P% after it runs the step in P% of tasks. Repeat the flag "
                   "for several workloads")
        ->type_name("SPEC")
        ->expected(1);
    app.add_option("--mix", mixes,
                   "Request classes: tasks of several shapes, each a NAME[WEIGHT]=STEPS in the "
                   "--workload language, separated by ';', e.g. "
                   "'api[90]=io:5ms,cpu:50us;report[10]=cpu:20ms'; WEIGHT is a class's share of "
                   "the tasks, relative to the others, drawn per task from --seed; latency is "
                   "reported per class. Repeat the flag for several mixes")
        ->type_name("MIX")
        ->expected(1);
    app.add_option("--workload-file", workload_files,
                   "The same mix from a JSON file: {\"classes\": [{\"name\": \"api\", "
                   "\"weight\": 90, \"steps\": \"io:5ms\"}, ...]} (see docs/cli.md)")
        ->type_name("FILE")
        ->expected(1);
    app.add_option("-s,--scenario", scenario,
                   "Named workloads, comma-separated (see `ccbench list`); default io when no "
                   "--workload is given")
        ->type_name("LIST");
    app.add_option("-c,--concurrency", concurrency,
                   "Tasks in flight (closed loop), comma-separated: each finished task is "
                   "replaced at once")
        ->type_name("LIST")
        ->capture_default_str();
    app.add_option("--rate", rate,
                   "Open loop instead: Poisson arrivals at R tasks/s on a schedule computed in "
                   "advance, comma-separated; latency counts from each task's intended start")
        ->type_name("LIST");
    app.add_option("-d,--duration", duration, "Measured window of each run")
        ->type_name("TIME")
        ->capture_default_str();
    app.add_option("--warmup", warmup, "Time before the window; its tasks are not measured")
        ->type_name("TIME")
        ->capture_default_str();
    app.add_option("-r,--repetitions", repetitions,
                   "Repeat the whole matrix this many times, interleaved")
        ->type_name("N")
        ->capture_default_str();
    app.add_option("--seed", seed, "Seed for drawn durations (~ and @)")
        ->type_name("N")
        ->capture_default_str();
    app.add_option("--timeout", timeout,
                   "Bound on each whole run (warm-up, window, drain); past it the run is "
                   "stopped and marked 'timeout' (default: 3 x (warm-up + duration) + 10s)")
        ->type_name("TIME");
    app.add_option("--stall-period", stall_period,
                   "How often the stall probe asks the scheduler to wake it")
        ->type_name("TIME")
        ->capture_default_str();
    app.add_option("--stall-threshold", stall_threshold,
                   "Probe lateness, or a task holding the scheduler, this long is a stall (and "
                   "goes in the stall log)")
        ->type_name("TIME")
        ->capture_default_str();
    app.add_option("--slow-threshold", slow_threshold,
                   "A task running this long between two suspensions is a slow resume "
                   "(event-loop models)")
        ->type_name("TIME")
        ->capture_default_str();
    app.add_option("--interval", interval, "Time-series interval (completions, p99, max stall)")
        ->type_name("TIME")
        ->capture_default_str();
    app.add_option("--precision", precision,
                   "Keep each run's window open past --duration until its p99's 95% interval "
                   "reaches no further than PCT of it (e.g. 5%), or until --max-duration")
        ->type_name("PCT");
    app.add_option("--max-duration", max_duration,
                   "With --precision: the longest window (default: 10 x --duration)")
        ->type_name("TIME");
    app.add_option("--slo", slo_text,
                   "Your objective, terms comma-separated: p50 p90 p99 p999 max mean stall "
                   "stall_p99 '<' a time, tput '>' tasks/s; CLASS.p99<10ms for a --mix class. "
                   "Each run is marked as meeting or breaking it (the worst breach named); the "
                   "exit status is 1 when any run breaks it. E.g. 'p99<20ms,stall<5ms,tput>1000'")
        ->type_name("SLO");
    app.add_option("--python", python,
                   "The interpreter the Python models (" + model_names([](const model_traits& t) {
                     return t.python;
                   }) + ") run in: a path, or a name looked up in PATH")
        ->type_name("PATH")
        ->capture_default_str();
    app.add_option("--server", server,
                   "The delay server of net steps, already running (`ccbench serve`), e.g. on a "
                   "second machine (default: one started on 127.0.0.1 for each run)")
        ->type_name("HOST:PORT");
    output.add_to(app);
  }

  // --precision PCT and --max-duration TIME into `c` (after --duration).
  void parse_precision(run_config& c) const {
    if (precision.empty()) {
      if (!max_duration.empty()) {
        throw config_error("--max-duration '" + max_duration + "': needs --precision");
      }
      return;
    }
    std::string text = precision;
    if (!text.empty() && text.back() == '%') text.pop_back();
    double pct = 0;
    std::size_t used = 0;
    try {
      pct = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || !(pct > 0 && pct < 100)) {
      throw config_error("--precision '" + precision +
                         "': expected a percentage above 0 and below 100, e.g. 5%");
    }
    c.precision = pct / 100;
    c.max_duration =
        max_duration.empty() ? 10 * c.duration : positive_duration(max_duration, "--max-duration");
    if (c.max_duration < c.duration) {
      throw config_error("--max-duration '" + max_duration + "': shorter than --duration '" +
                         duration + "'");
    }
  }

  std::vector<run_config> configs() const {
    matrix_spec m;
    m.models = split_list(model, "--model");
    if (!cpus.empty()) {
      for (const std::string& k : split_list(cpus, "--cpus")) {
        const int n = static_cast<int>(parse_count(k, "--cpus", 1, 4096));
        first_cpus(n);  // throws config_error when fewer CPUs are allowed
        m.cpus.push_back(n);
      }
    }
    for (const std::string& name : m.models) {
      if (const model_info* info = find_model(name); info != nullptr && info->traits.python) {
        m.python = find_python(python);
      }
    }
    if (threads.empty()) {
      if (m.cpus.empty()) m.threads = {machine_cores()};
    } else {
      for (const std::string& t : split_list(threads, "--threads")) {
        m.threads.push_back(static_cast<int>(parse_count(t, "--threads", 1, 16384)));
      }
    }
    for (const std::string& o : split_list(offload, "--offload")) {
      m.offloads.push_back(parse_offload(o, "--offload"));
    }
    m.offload_threads =
        static_cast<int>(parse_count(offload_threads, "--offload-threads", 0, 16384));
    for (const std::string& w : workloads) m.workloads.push_back({workload::parse(w).text(), ""});
    for (const std::string& w : mixes) m.workloads.push_back({workload::parse_mix(w).text(), ""});
    for (const std::string& f : workload_files) {
      workload_file file = read_workload_file(f);
      m.workloads.push_back({std::move(file.mix), std::move(file.name)});
    }
    if (!scenario.empty()) {
      for (const std::string& s : split_list(scenario, "--scenario")) {
        const ccbench::scenario* sc = find_scenario(s);
        if (sc == nullptr) {
          std::string known;
          for (const ccbench::scenario& x : scenarios()) {
            known += (known.empty() ? "" : ", ") + std::string(x.name);
          }
          throw config_error("--scenario '" + s + "': unknown scenario (use " + known + ")");
        }
        m.workloads.push_back({workload::parse(sc->spec).text(), s});
      }
    }
    if (m.workloads.empty()) m.workloads.push_back({workload::parse("io:10ms").text(), "io"});
    for (const std::string& c : split_list(concurrency, "--concurrency")) {
      m.concurrency.push_back(parse_count(c, "--concurrency", 1, 10'000'000));
    }
    if (!rate.empty()) {
      for (const std::string& r : split_list(rate, "--rate")) m.rates.push_back(parse_rate(r));
    }
    m.repetitions = static_cast<int>(parse_count(repetitions, "--repetitions", 1, 1000));
    m.base.duration = positive_duration(duration, "--duration");
    m.base.warmup = parse_duration(warmup, "--warmup");
    m.base.seed = parse_count(seed, "--seed", 0, UINT64_MAX);
    if (!timeout.empty()) m.base.timeout = positive_duration(timeout, "--timeout");
    m.base.stall_period = positive_duration(stall_period, "--stall-period");
    m.base.stall_threshold = positive_duration(stall_threshold, "--stall-threshold");
    m.base.slow_threshold = positive_duration(slow_threshold, "--slow-threshold");
    m.base.series_interval = positive_duration(interval, "--interval");
    if (m.base.series_interval < std::chrono::milliseconds(1)) {
      throw config_error("--interval '" + interval + "': must be at least 1ms");
    }
    parse_precision(m.base);
    const slo objective = slo::parse(slo_text);
    m.base.slo = objective.text();
    check_slo_classes(objective, slo_text, m.workloads);
    std::vector<run_config> out = expand(m);
    if (!server.empty()) {
      const std::string address = net::parse_endpoint(server, "--server", false).text();
      for (run_config& c : out) {
        if (has_net_steps(c)) c.server = address;
      }
    }
    return out;
  }
};

int list_everything() {
  std::cout << "Models (--model):\n";
  for (const model_info& m : registered_models()) {
    std::string offload = "none";
    if (m.traits.offload_thread) offload += ", thread";
    if (m.traits.offload_process) offload += ", process";
    std::cout << "  " << m.name << "\n      " << m.description << "\n      offload: " << offload
              << '\n';
  }
  std::cout << "\nStep kinds (--workload KIND:DURATION):\n"
               "  io      a non-blocking wait: a timer in the model's own idiom (await, fiber "
               "sleep);\n"
               "          a worker thread or process can only sleep through it\n"
               "  cpu     real computation calibrated to the duration on one core; its result "
               "feeds\n"
               "          a checksum the harness verifies\n"
               "  block   a blocking system call that holds the OS thread running it\n"
               "  net     a TCP round trip to the delay server, which replies after the "
               "duration\n"
               "          (net:10ms, or net:10ms:16KiB for a bigger reply); each model uses its "
               "own\n"
               "          I/O idiom. A server on 127.0.0.1 is started per run, or --server\n"
               "  Durations take ns, us, ms or s; ~ draws from an exponential distribution "
               "(io:~10ms);\n"
               "  @P% runs the step in P percent of tasks (block:100ms@0.5%).\n"
               "  --mix 'api[90]=io:5ms;report[10]=cpu:20ms' mixes request classes, each "
               "reported\n  on its own.\n";
  std::cout << "\nScenarios (--scenario):\n";
  for (const scenario& s : scenarios()) {
    std::cout << "  " << s.name << std::string(s.name.size() < 12 ? 12 - s.name.size() : 1, ' ')
              << s.spec << "\n      " << s.description << '\n';
  }
  std::cout << "\nSweeps (ccbench sweep NAME):\n";
  for (const sweep_info& s : sweeps()) {
    std::cout << "  " << s.name << "\n      " << s.description << '\n';
  }
  return 0;
}

int cli_main(int argc, char** argv) {
  CLI::App app{
      "ccbench: which concurrency model should this workload use on this machine?\n"
      "Runs one workload under several concurrency models and measures throughput,\n"
      "latency from the intended start, and scheduler stalls.",
      "ccbench"};
  app.require_subcommand(0, 1);
  app.footer(examples());

  run_flags run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run one configuration or a matrix of them");
  run.add_to(*run_cmd);
  run_cmd->footer(
      "Lists (comma-separated) expand to a matrix of runs. Each run gets its own process, so a "
      "crash or hang\nbecomes a failed run. Progress goes to stderr, the table to stdout. Exit "
      "status: 0 all runs ok,\n1 some run failed or timed out, 2 bad input, 3 internal error, 4 "
      "results could not be\nwritten (a full disk, a removed directory), 130 interrupted.");

  CLI::App* list_cmd = app.add_subcommand("list", "List models, step kinds, scenarios and sweeps");

  std::string sweep_name;
  bool full = false;
  output_flags sweep_out;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "Run a built-in sweep sized to this machine (see `ccbench list`)");
  sweep_cmd->add_option("name", sweep_name, "Sweep to run, e.g. bench")->required();
  sweep_cmd->add_flag("--full", full, "The long version of the sweep");
  sweep_out.add_to(*sweep_cmd);

  std::string compare_a, compare_b, compare_out, compare_fail_above;
  std::vector<std::string> compare_more;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare",
      "Compare results files (two or more hosts, or commits) against the first: a table of "
      "deltas per configuration, a Mann-Whitney U test where repetitions exist, overlay charts");
  compare_cmd->add_option("a", compare_a, "Baseline: results.json or a run directory")->required();
  compare_cmd->add_option("b", compare_b, "Contender: results.json or a run directory")->required();
  compare_cmd->add_option("more", compare_more, "More contenders, each compared with the baseline")
      ->type_name("C ...");
  compare_cmd
      ->add_option("-o,--out", compare_out,
                   "Write the overlay charts into DIR (and, with three files or more, "
                   "compare.md with a section per host)")
      ->type_name("DIR");
  compare_cmd
      ->add_option("--fail-above", compare_fail_above,
                   "Exit 1 when a configuration's throughput fell, or its p99 rose, by more "
                   "than PCT percent against the baseline beyond noise (the U test significant "
                   "where repetitions allow): a CI gate")
      ->type_name("PCT");
  std::string tour_scale = "1";
  std::string tour_json;
  CLI::App* tour_cmd = app.add_subcommand(
      "tour",
      "Run the seed notebook's async/await lessons (gather, create_task, TaskGroup, Semaphore, "
      "timeout, blocking the loop, to_thread) on ccbench's own loop and check each claim");
  tour_cmd
      ->add_option("--scale", tour_scale,
                   "Multiply every duration of the lessons by F (0.2 runs five times faster)")
      ->type_name("F")
      ->capture_default_str();
  tour_cmd->add_option("--json", tour_json, "Also write the lessons to FILE as JSON")
      ->type_name("FILE");
  std::string tour_python;
  tour_cmd->add_flag(
      "--python{/usr/bin/python3}", tour_python,
      "Also run the lessons in CPython's asyncio, with a lesson on the GIL, and print "
      "both side by side; --python=PATH picks the interpreter");
  tour_cmd->footer(
      "A lesson holds when its time is within 15% of the notebook's (scaled) and its other "
      "checks pass.\nExit status: 0 every measured lesson held, 1 some did not, 2 bad input, 3 "
      "internal error,\n4 the --json file could not be written.");

  serve_options serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve",
      "The delay server that net steps talk to: replies to each request after its delay. "
      "Prints its address on one line; stops on SIGTERM or SIGINT");
  serve_cmd
      ->add_option("--listen", serve.listen,
                   "Address to listen on (port 0: the kernel picks one). Beyond loopback, anyone "
                   "who can reach the port can use the server")
      ->type_name("ADDR:PORT")
      ->capture_default_str();
  serve_cmd->add_option("--threads", serve.threads, "Event loops, each on a thread of its own")
      ->type_name("N")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve_cmd->add_flag("-q,--quiet", serve.quiet, "No report at exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::string where = "ccbench";
    for (CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
    std::cerr << "ccbench: " << e.what() << " (see '" << where << " --help')\n";
    return 2;
  }

  if (*list_cmd) return list_everything();
  if (*run_cmd) {
    suite_plan plan;
    plan.runs = run.configs();
    return run_suite(std::move(plan), run.output.options());
  }
  if (*compare_cmd) {
    std::vector<std::string> files = {compare_a, compare_b};
    files.insert(files.end(), compare_more.begin(), compare_more.end());
    return compare_results(files, compare_out, compare_fail_above);
  }
  if (*serve_cmd) return run_serve(serve);
  if (*tour_cmd) {
    tour_options o;
    o.scale = parse_tour_scale(tour_scale, "--scale");
    if (!tour_json.empty()) o.json = tour_json;
    if (!tour_python.empty()) o.python = find_python(tour_python);
    return run_tour(o, std::cout);
  }
  if (*sweep_cmd) {
    return run_suite(make_sweep(sweep_name, full, machine_cores()), sweep_out.options());
  }
  std::cerr << app.help();
  return 2;
}

}  // namespace
}  // namespace ccbench

int main(int argc, char** argv) {
  // Timer slack is per thread and inherited: set it before any thread exists.
  ccbench::set_precise_timer_slack();
  try {
    return ccbench::cli_main(argc, argv);
  } catch (const ccbench::config_error& e) {
    std::cerr << "ccbench: " << e.what() << '\n';
    return 2;
  } catch (const ccbench::io_error& e) {
    std::cerr << "ccbench: " << e.what() << '\n';
    return 4;
  } catch (const std::exception& e) {
    std::cerr << "ccbench: internal error: " << e.what() << '\n';
    return 3;
  }
}
