#include "harness/cli/compare.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <vector>

#include "harness/error.hpp"
#include "harness/results_json.hpp"

extern char** environ;

namespace ccbench {
namespace {

// Runs argv (PATH lookup for argv[0]) with MPLBACKEND=Agg; returns its exit
// status, or -1 when it could not start.
int spawn_and_wait(const std::vector<std::string>& args, bool quiet) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  setenv("MPLBACKEND", "Agg", 1);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string find_plot_python() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    if (spawn_and_wait({candidate, "-c", "import matplotlib, numpy"}, true) == 0) return candidate;
  }
  return {};
}

int compare_results(const std::string& a, const std::string& b, const std::string& out_dir) {
  return compare_results(std::vector<std::string>{a, b}, out_dir, "");
}

int compare_results(const std::vector<std::string>& files, const std::string& out_dir,
                    const std::string& fail_above) {
  if (files.size() < 2) throw config_error("compare: give two results files or more");
  // Each throws config_error naming the file when it is not results.
  for (const std::string& f : files) read_results(f);
  if (!fail_above.empty()) {
    double pct = -1;
    const auto [end, ec] =
        std::from_chars(fail_above.data(), fail_above.data() + fail_above.size(), pct);
    if (ec != std::errc() || end != fail_above.data() + fail_above.size() || !(pct >= 0) ||
        pct >= 1000) {
      throw config_error("--fail-above '" + fail_above +
                         "': expected a percentage from 0 to 1000, e.g. 5");
    }
  }
  const std::filesystem::path script =
      std::filesystem::path(CCBENCH_SOURCE_DIR) / "plot" / "compare.py";
  if (!std::filesystem::exists(script)) {
    throw config_error("compare: " + script.string() +
                       " is missing (ccbench compare uses the source tree's plot/ scripts)");
  }
  const std::string python = find_plot_python();
  if (python.empty()) {
    throw config_error(
        "compare: no python3 with matplotlib and numpy found (run `make deps`, or apt-get "
        "install python3-matplotlib python3-numpy)");
  }
  std::vector<std::string> args = {python, script.string()};
  args.insert(args.end(), files.begin(), files.end());
  if (!out_dir.empty()) args.insert(args.end(), {"-o", out_dir});
  if (!fail_above.empty()) args.insert(args.end(), {"--fail-above", fail_above});
  const int rc = spawn_and_wait(args, false);
  if (rc < 0) throw config_error("compare: cannot run " + python);
  return rc;
}

}  // namespace ccbench
