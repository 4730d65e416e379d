#include "harness/cli/tour.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "harness/cli/registry.hpp"
#include "harness/cli/suite.hpp"
#include "harness/error.hpp"
#include "harness/run_directory.hpp"

namespace ccbench {
namespace {

// The first registered model with a tour.
const model_info& tour_model() {
  for (const model_info& m : registered_models()) {
    if (m.tour != nullptr) return m;
  }
  throw config_error("tour: no model in this build has a tour");
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// The first registered model with lessons in Python.
const model_info& python_tour_model() {
  for (const model_info& m : registered_models()) {
    if (m.python_tour != nullptr) return m;
  }
  throw config_error("tour --python: no model in this build has Python lessons");
}

// "1.002 s held" for the side-by-side table.
std::string verdict_cell(const tour_lesson* l) {
  if (l == nullptr) return "-";
  std::string cell = l->measured_s ? format_tour_seconds(*l->measured_s) + " " : "";
  return cell + (!l->held ? "not measured" : *l->held ? "held" : "DID NOT HOLD");
}

std::string padded(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s + " ";
}

void print_lesson(std::ostream& out, std::size_t number, const tour_lesson& l) {
  std::string verdict = !l.held ? "not measured" : *l.held ? "held" : "DID NOT HOLD";
  out << number << ". " << l.name << ": " << verdict;
  if (l.measured_s && l.expected_s) {
    out << " (measured " << format_tour_seconds(*l.measured_s) << ", expected "
        << format_tour_seconds(*l.expected_s) << " +/- " << static_cast<int>(tour_tolerance * 100)
        << "%)";
  }
  out << "\n   notebook: " << l.claim << "\n   measured: " << l.detail << "\n" << std::flush;
}

}  // namespace

double parse_tour_scale(const std::string& text, const std::string& flag) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= 0.01 && v <= 100)) {
    throw config_error(flag + " '" + text + "': expected a number from 0.01 to 100");
  }
  return v;
}

nlohmann::json lessons_json(const std::vector<tour_lesson>& lessons) {
  nlohmann::json out = nlohmann::json::array();
  for (const tour_lesson& l : lessons) {
    out.push_back({{"name", l.name},
                   {"claim", l.claim},
                   {"expected_s", optional_json(l.expected_s)},
                   {"measured_s", optional_json(l.measured_s)},
                   {"held", l.held ? nlohmann::json(*l.held) : nlohmann::json(nullptr)},
                   {"detail", l.detail}});
  }
  return out;
}

std::string tour_to_json_text(const std::vector<tour_lesson>& lessons, double scale,
                              const std::vector<tour_lesson>* python_lessons,
                              const std::string& interpreter) {
  nlohmann::json doc;
  doc["scale"] = scale;
  doc["lessons"] = lessons_json(lessons);
  if (python_lessons != nullptr) {
    doc["python"] = {{"interpreter", interpreter}, {"lessons", lessons_json(*python_lessons)}};
  }
  return doc.dump(2) + "\n";
}

int run_tour(const tour_options& opts, std::ostream& out) {
  const model_info& model = tour_model();
  if (opts.json) {
    suite_options check;
    check.json = opts.json;
    check_outputs(check);
  }
  out << "The async/await notebook's lessons, run on ccbench's own event loop";
  if (opts.scale != 1.0) out << " (every duration x " << opts.scale << ")";
  out << ":\n\n";
  std::size_t number = 0;
  const std::vector<tour_lesson> lessons =
      model.tour(opts.scale, [&](const tour_lesson& l) { print_lesson(out, ++number, l); });

  std::vector<tour_lesson> python_lessons;
  std::string interpreter;
  if (opts.python) {
    const model_info& py = python_tour_model();
    out << "\nThe same lessons in " << *opts.python << " (" << py.name << "):\n\n";
    number = 0;
    python_lessons = py.python_tour(*opts.python, opts.scale, interpreter,
                                    [&](const tour_lesson& l) { print_lesson(out, ++number, l); });
    out << "\nSide by side (" << interpreter << "):\n  " << padded("lesson", 20)
        << padded("C++ loop", 24) << py.name << "\n";
    auto find = [](const std::vector<tour_lesson>& ls, const std::string& name) {
      for (const tour_lesson& l : ls) {
        if (l.name == name) return &l;
      }
      return static_cast<const tour_lesson*>(nullptr);
    };
    for (const tour_lesson& l : lessons) {
      out << "  " << padded(l.name, 20) << padded(verdict_cell(&l), 24)
          << verdict_cell(find(python_lessons, l.name)) << "\n";
    }
    for (const tour_lesson& l : python_lessons) {
      if (find(lessons, l.name) == nullptr) {
        out << "  " << padded(l.name, 20) << padded("-", 24) << verdict_cell(&l) << "\n";
      }
    }
  }

  std::size_t held = 0, failed = 0, unmeasured = 0;
  std::vector<tour_lesson> all = lessons;
  all.insert(all.end(), python_lessons.begin(), python_lessons.end());
  for (const tour_lesson& l : all) {
    if (!l.held) {
      ++unmeasured;
    } else if (*l.held) {
      ++held;
    } else {
      ++failed;
    }
  }
  out << "\n" << held << " of " << held + failed << " measured lessons held";
  if (unmeasured > 0) out << "; " << unmeasured << " not measured yet";
  out << ".\n";
  if (opts.json) {
    write_file_atomic(
        *opts.json, tour_to_json_text(lessons, opts.scale, opts.python ? &python_lessons : nullptr,
                                      interpreter));
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace ccbench
