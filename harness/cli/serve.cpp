#include "harness/cli/serve.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <iostream>
#include <thread>

#include "harness/cli/registry.hpp"
#include "harness/error.hpp"

namespace ccbench {

long raise_open_file_limit() noexcept {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return static_cast<long>(lim.rlim_cur);
}

int run_serve(const serve_options& opts) {
  const net::endpoint listen = net::parse_endpoint(opts.listen, "--listen", true);
  raise_open_file_limit();
  // SIGTERM and SIGINT are taken by a thread of our own (sigwait), not a
  // handler: the loops' threads, started after, inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::unique_ptr<delay_server_handle> server;
  try {
    server = make_delay_server(listen, opts.threads);
  } catch (const std::runtime_error& e) {
    throw config_error(std::string("--listen '") + opts.listen + "': " + e.what());
  }
  if (!server->address().loopback()) {
    std::cerr << "ccbench: warning: listening on " << server->address().text()
              << ", beyond loopback: anyone who can reach this port can use this server\n";
  }
  std::cout << server->address().text() << std::endl;
  std::thread stopper([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server->stop();
  });
  server->run();
  // run() returns only after stop(): the stopper has taken its signal.
  stopper.join();
  if (!opts.quiet) std::cerr << "ccbench serve: " << server->report_line() << "\n";
  return 0;
}

}  // namespace ccbench
