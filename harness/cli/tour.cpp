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

std::string tour_to_json_text(const std::vector<tour_lesson>& lessons, double scale) {
  nlohmann::json doc;
  doc["scale"] = scale;
  doc["lessons"] = nlohmann::json::array();
  for (const tour_lesson& l : lessons) {
    doc["lessons"].push_back({{"name", l.name},
                              {"claim", l.claim},
                              {"expected_s", optional_json(l.expected_s)},
                              {"measured_s", optional_json(l.measured_s)},
                              {"held", l.held ? nlohmann::json(*l.held) : nlohmann::json(nullptr)},
                              {"detail", l.detail}});
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

  std::size_t held = 0, failed = 0, unmeasured = 0;
  for (const tour_lesson& l : lessons) {
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
  if (opts.json) write_file_atomic(*opts.json, tour_to_json_text(lessons, opts.scale));
  return failed == 0 ? 0 : 1;
}

}  // namespace ccbench
