#include "harness/cli/server_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "harness/cli/registry.hpp"

namespace ccbench {
namespace {

void write_all(int fd, const std::string& text) noexcept {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// In the child: serves until the parent closes `stop_in` (or dies), writing
// its address and, at the end, its report to `out`.
[[noreturn]] void serve_child(int stop_in, int out, int threads) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGINT, SIG_IGN);  // the suite stops it; Ctrl-C goes to the suite
  signal(SIGTERM, SIG_DFL);
  try {
    net::endpoint loopback = net::parse_endpoint("127.0.0.1:0", "server", true);
    std::unique_ptr<delay_server_handle> server = make_delay_server(loopback, threads);
    write_all(out, server->address().text() + "\n");
    std::thread watcher([stop_in, &server] {
      char c;
      while (::read(stop_in, &c, 1) != 0 && errno == EINTR) {
      }
      server->stop();
    });
    server->run();
    watcher.join();
    write_all(out, server->report_line() + "\n");
  } catch (const std::exception& e) {
    write_all(out, std::string("error: ") + e.what() + "\n");
    _exit(1);
  }
  _exit(0);
}

// Reads from `fd` until `text` holds a newline, EOF, or `deadline`.
bool read_line(int fd, std::string& text, std::chrono::steady_clock::time_point deadline) {
  char buf[4096];
  while (text.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) return false;
    if (r <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

server_child::server_child(int threads) {
  int stop_pipe[2], report_pipe[2];
  if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("cannot start the delay server: pipe: ") +
                             std::strerror(errno));
  }
  if (pipe2(report_pipe, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(stop_pipe[0]);
    ::close(stop_pipe[1]);
    throw std::runtime_error(std::string("cannot start the delay server: pipe: ") +
                             std::strerror(e));
  }
  pid_ = fork();
  if (pid_ < 0) {
    const int e = errno;
    for (int fd : {stop_pipe[0], stop_pipe[1], report_pipe[0], report_pipe[1]}) ::close(fd);
    throw std::runtime_error(std::string("cannot start the delay server: fork: ") +
                             std::strerror(e));
  }
  if (pid_ == 0) {
    ::close(stop_pipe[1]);
    ::close(report_pipe[0]);
    serve_child(stop_pipe[0], report_pipe[1], threads);
  }
  ::close(stop_pipe[0]);
  ::close(report_pipe[1]);
  stop_fd_ = stop_pipe[1];
  report_fd_ = report_pipe[0];
  std::string text;
  const bool got =
      read_line(report_fd_, text, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  const std::size_t nl = text.find('\n');
  std::string line = got ? text.substr(0, nl) : text;
  if (!got || line.starts_with("error: ") || line.empty()) {
    stop();
    throw std::runtime_error("cannot start the delay server" +
                             (line.empty() ? std::string() : ": " + line));
  }
  address_ = line;
  pending_ = text.substr(nl + 1);
}

server_child::~server_child() {
  if (pid_ > 0) stop();
}

server_child_report server_child::stop() {
  server_child_report r;
  if (pid_ <= 0) {
    r.error = "the server was already stopped";
    return r;
  }
  ::close(stop_fd_);
  stop_fd_ = -1;
  std::string text = pending_;
  const bool got =
      read_line(report_fd_, text, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (!got) ::kill(pid_, SIGKILL);
  ::close(report_fd_);
  report_fd_ = -1;
  int status = 0;
  rusage ru{};
  while (wait4(pid_, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  r.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  const std::string line = text.substr(0, text.find('\n'));
  if (!got || line.starts_with("error: ")) {
    r.error = got ? line : "the delay server did not report within 10 s and was killed";
    return r;
  }
  std::istringstream in(line);
  for (std::string word; in >> word;) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq);
    const double v = std::strtod(word.c_str() + eq + 1, nullptr);
    if (key == "requests") r.requests = v;
    if (key == "refused") r.refused = v;
    if (key == "bad_requests") r.bad_requests = v;
    if (key == "disconnects") r.disconnects = v;
    if (key == "lateness_p99_us") r.lateness_p99_us = v;
    if (key == "lateness_max_us") r.lateness_max_us = v;
  }
  r.ok = true;
  return r;
}

}  // namespace ccbench
