#include "harness/workload_file.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/error.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

using json = nlohmann::json;

// JSON numbers print as 90 or 0.5, as a mix's weights are written.
std::string weight_text(const json& w) {
  std::ostringstream os;
  os.precision(10);
  os << w.get<double>();
  return os.str();
}

}  // namespace

workload_file parse_workload_file(std::string_view text, std::string_view source) {
  auto fail = [&](const std::string& problem) {
    return config_error("bad workload file '" + std::string(source) + "': " + problem);
  };
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw fail(std::string("not valid JSON (") + e.what() + ")");
  }
  if (!doc.is_object()) throw fail("expected an object with \"classes\"");
  workload_file out;
  for (const auto& [key, value] : doc.items()) {
    if (key == "name") {
      if (!value.is_string()) throw fail("\"name\" must be a string");
      out.name = value.get<std::string>();
    } else if (key == "description") {
      if (!value.is_string()) throw fail("\"description\" must be a string");
    } else if (key != "classes") {
      throw fail("unknown field '" + key + "' (use name, description, classes)");
    }
  }
  const auto classes = doc.find("classes");
  if (classes == doc.end() || !classes->is_array() || classes->empty()) {
    throw fail("\"classes\" must be a list of one class or more");
  }
  std::string mix;
  std::size_t n = 0;
  for (const json& c : *classes) {
    const std::string ordinal = "class " + std::to_string(++n);
    if (!c.is_object()) throw fail(ordinal + " must be an object with name, weight and steps");
    const std::string who = c.contains("name") && c["name"].is_string()
                                ? "class '" + c["name"].get<std::string>() + "'"
                                : ordinal;
    for (const auto& [key, value] : c.items()) {
      if (key != "name" && key != "weight" && key != "steps") {
        throw fail("unknown field '" + key + "' in " + who + " (use name, weight, steps)");
      }
    }
    if (!c.contains("name") || !c["name"].is_string()) {
      throw fail(ordinal + " needs a \"name\" (a string)");
    }
    std::string item = c["name"].get<std::string>();
    if (item.empty()) throw fail(ordinal + " has an empty name");
    if (item.find_first_of("[]=;") != std::string::npos) {
      throw fail(who + ": a name may not hold '[', ']', '=' or ';'");
    }
    if (c.contains("weight")) {
      const json& w = c["weight"];
      if (!w.is_number() || !(w.get<double>() > 0)) {
        throw fail(who + ": weight " + w.dump() + " is not a positive number");
      }
      item += "[" + weight_text(w) + "]";
    }
    std::string steps;
    if (const auto s = c.find("steps"); s == c.end()) {
      throw fail(who + " has no \"steps\"");
    } else if (s->is_string()) {
      steps = s->get<std::string>();
    } else if (s->is_array()) {
      for (const json& step : *s) {
        if (!step.is_string()) throw fail(who + ": each of \"steps\" must be a string");
        steps += (steps.empty() ? "" : ",") + step.get<std::string>();
      }
    } else {
      throw fail(who + ": \"steps\" must be a spec or a list of steps");
    }
    if (steps.find_first_of(";=") != std::string::npos) {
      throw fail(who + ": steps '" + steps + "' may not hold ';' or '='");
    }
    if (steps.find_first_not_of(" \t") == std::string::npos) {
      throw fail(who + " is empty (give it steps, e.g. \"io:5ms\")");
    }
    mix += (mix.empty() ? "" : ";") + item + "=" + steps;
  }
  try {
    out.mix = workload::parse_mix(mix).text();
  } catch (const config_error& e) {
    throw fail(e.what());
  }
  return out;
}

workload_file read_workload_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error("--workload-file '" + path.string() + "': cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_workload_file(text.str(), path.string());
}

}  // namespace ccbench
