// The one place that names every model.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "harness/net_protocol.hpp"
#include "harness/runner.hpp"
#include "harness/tour.hpp"

namespace ccbench {

struct model_info {
  std::string_view name;
  std::string_view description;
  model_traits traits;  ///< recorded in every run of the model (run_record::traits)
  model_factory make;
  /// The seed notebook's lessons on the model's own API (`ccbench tour`);
  /// nullptr for a model without them.
  tour_lessons tour = nullptr;
  /// The same lessons in a Python interpreter (`ccbench tour --python`);
  /// nullptr for a model without them.
  python_tour_lessons python_tour = nullptr;
};

/// Every registered model, in the order `ccbench list` prints them.
std::span<const model_info> registered_models();
/// nullptr when no model has that name.
const model_info* find_model(std::string_view name);
/// The first registered model whose traits `fit`; nullptr when none does.
const model_info* first_model(const std::function<bool(const model_traits&)>& fits);
/// The model `ccbench run` runs when --model is not given.
const model_info& default_model();

/// The delay server that net steps talk to (`ccbench serve`, and the server
/// the suite starts for a run), as the registry provides it: on the loop
/// model's event loop (models/loop/delay_server.hpp).
class delay_server_handle {
 public:
  virtual ~delay_server_handle() = default;
  /// Where it listens (the kernel's port when asked for 0).
  virtual net::endpoint address() const = 0;
  /// Connections it holds at most.
  virtual std::int64_t max_connections() const = 0;
  /// Serves until stop(); blocks.
  virtual void run() = 0;
  /// Any thread (not a signal handler).
  virtual void stop() = 0;
  /// After run(): the one-line report (`key=value ...`) of what it did.
  virtual std::string report_line() const = 0;
};
/// Binds and listens; throws std::runtime_error naming the address when it
/// cannot. `max_connections` 0: the open-file limit less 64.
std::unique_ptr<delay_server_handle> make_delay_server(const net::endpoint& listen, int threads,
                                                       std::int64_t max_connections = 0);

}  // namespace ccbench
