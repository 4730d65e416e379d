// `ccbench tour --python`: the notebook's lessons in CPython (ccbench_tour.py),
// read back over the same framed channel as the model's (protocol.md).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "models/asyncio/asyncio_model.hpp"
#include "models/asyncio/python_process.hpp"
#include "models/asyncio/python_script.hpp"

namespace ccbench::models {
namespace {

constexpr std::uint64_t lesson_message = 20;  // ccbench_tour.py's LESSON

std::optional<double> number_or_none(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

std::string find_python_script(const char* name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "python" / name);
    candidates.push_back(exe.parent_path().parent_path() / "python" / name);
  }
  candidates.push_back(fs::path(CCBENCH_ASYNCIO_SOURCE_DIR) / name);
  for (const fs::path& p : candidates) {
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  throw std::runtime_error(std::string("cannot find ") + name +
                           " (looked beside the binary and in " CCBENCH_ASYNCIO_SOURCE_DIR ")");
}

std::vector<tour_lesson> run_python_tour_lessons(
    const std::string& python, double scale, std::string& interpreter,
    const std::function<void(const tour_lesson&)>& on_lesson) {
  python_process py(python, find_python_script("ccbench_tour.py"),
                    {"--scale", std::to_string(scale), "--fd", "3"});
  std::vector<tour_lesson> lessons;
  bool first = true;
  python_message m;
  while (py.pump(std::chrono::milliseconds(200))) {
    while (py.next(m)) {
      if (m.type != lesson_message) continue;
      const nlohmann::json j = nlohmann::json::parse(python_process::text_of(m.words, 0));
      if (first) {
        first = false;
        const std::string impl = j.value("implementation", std::string("python"));
        interpreter = (impl == "cpython" ? std::string("CPython") : impl) + " " +
                      j.value("version", std::string("?")) + ", GIL " +
                      (j.value("gil", true) ? "on" : "off");
        continue;
      }
      tour_lesson l;
      l.name = j.value("name", std::string("?"));
      l.claim = j.value("claim", std::string());
      l.expected_s = number_or_none(j, "expected_s");
      l.measured_s = number_or_none(j, "measured_s");
      if (j.contains("held") && j["held"].is_boolean()) l.held = j["held"].get<bool>();
      l.detail = j.value("detail", std::string());
      lessons.push_back(l);
      if (on_lesson) on_lesson(lessons.back());
    }
  }
  const std::string how = py.reap(std::chrono::milliseconds(5000));
  if (py.exit_code() != 0) throw std::runtime_error("the Python tour (" + python + ") " + how);
  return lessons;
}

}  // namespace ccbench::models
