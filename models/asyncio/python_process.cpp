#include "models/asyncio/python_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace ccbench::models {
namespace {

constexpr std::size_t max_stderr_tail = 4096;
constexpr std::uint64_t max_message_words = std::uint64_t{1} << 26;  // 512 MiB: a broken stream

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

python_process::python_process(const std::string& python, const std::string& script,
                               const std::vector<std::string>& args) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    throw std::runtime_error(errno_text("cannot create a socket pair for the Python process"));
  }
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) != 0) {
    const std::string why = errno_text("cannot create a pipe for the Python process");
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::runtime_error(why);
  }
  // Everything the child needs, made before fork: after it, only
  // async-signal-safe calls (this process has other threads).
  std::vector<std::string> all{python, script};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const std::string why = errno_text("cannot fork the Python process");
    for (int fd : {sv[0], sv[1], ep[0], ep[1]}) ::close(fd);
    throw std::runtime_error(why);
  }
  if (pid == 0) {
    // Dies with the thread that started it (the runner's), so a killed run
    // leaves no interpreter behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int s = fcntl(sv[1], F_DUPFD, 10);
    const int e = fcntl(ep[1], F_DUPFD, 10);
    const int null = ::open("/dev/null", O_RDONLY);
    if (s < 0 || e < 0 || null < 0) _exit(127);
    dup2(null, 0);
    dup2(e, 1);  // a stray print lands with the errors, not in ccbench's output
    dup2(e, 2);
    dup2(s, 3);
    close_range(4, ~0U, 0);
    execv(argv[0], argv.data());
    const char* why = std::strerror(errno);
    const char* msg = "ccbench: cannot run the Python interpreter ";
    [[maybe_unused]] ssize_t w = ::write(2, msg, std::strlen(msg));
    w = ::write(2, argv[0], std::strlen(argv[0]));
    w = ::write(2, ": ", 2);
    w = ::write(2, why, std::strlen(why));
    w = ::write(2, "\n", 1);
    _exit(127);
  }
  pid_ = pid;
  ::close(sv[1]);
  ::close(ep[1]);
  sock_ = sv[0];
  err_ = ep[0];
  fcntl(sock_, F_SETFL, fcntl(sock_, F_GETFL) | O_NONBLOCK);
  fcntl(err_, F_SETFL, fcntl(err_, F_GETFL) | O_NONBLOCK);
  const int buf = 1 << 20;
  setsockopt(sock_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  setsockopt(sock_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
}

python_process::~python_process() {
  kill();
  close_fds();
}

void python_process::close_fds() noexcept {
  for (int* fd : {&sock_, &err_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void python_process::kill() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
}

void python_process::send(std::uint64_t type, std::span<const std::uint64_t> words) {
  out_.push_back(type);
  out_.push_back(words.size());
  out_.insert(out_.end(), words.begin(), words.end());
}

void python_process::send_text(std::uint64_t type, std::span<const std::uint64_t> prefix,
                               std::string_view text) {
  std::vector<std::uint64_t> words(prefix.begin(), prefix.end());
  words.push_back(text.size());
  const std::size_t at = words.size();
  words.resize(at + (text.size() + 7) / 8, 0);
  std::memcpy(words.data() + at, text.data(), text.size());
  send(type, words);
}

std::string python_process::text_of(std::span<const std::uint64_t> words, std::size_t at) {
  if (at >= words.size()) return {};
  const std::uint64_t n = std::min<std::uint64_t>(words[at], (words.size() - at - 1) * 8);
  return std::string(reinterpret_cast<const char*>(words.data() + at + 1), n);
}

void python_process::read_stderr() noexcept {
  if (err_ < 0) return;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(err_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) {
        ::close(err_);
        err_ = -1;
      }
      return;
    }
    stderr_tail_.append(buf, static_cast<std::size_t>(n));
    if (stderr_tail_.size() > 2 * max_stderr_tail) {
      stderr_tail_.erase(0, stderr_tail_.size() - max_stderr_tail);
    }
  }
}

bool python_process::pump(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  // Unparsed bytes to the front: spans from next() are gone by now.
  if (in_pos_ > 0) {
    const std::size_t bytes = in_bytes_ - in_pos_ * 8;
    std::memmove(in_.data(), in_.data() + in_pos_, bytes);
    in_bytes_ = bytes;
    in_pos_ = 0;
  }
  const bool writing = out_done_ < out_.size() * 8;
  pollfd p[2] = {{sock_, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0},
                 {err_, POLLIN, 0}};
  const int ready = ::poll(p, err_ >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) throw std::runtime_error(errno_text("poll"));
  if (ready <= 0) return true;
  if (err_ >= 0 && (p[1].revents & (POLLIN | POLLHUP)) != 0) read_stderr();
  if (writing && (p[0].revents & POLLOUT) != 0) {
    const char* data = reinterpret_cast<const char*>(out_.data());
    while (out_done_ < out_.size() * 8) {
      const ssize_t n = ::send(sock_, data + out_done_, out_.size() * 8 - out_done_, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) {
        eof_ = true;  // EPIPE, ECONNRESET: it is gone
        return false;
      }
      out_done_ += static_cast<std::size_t>(n);
    }
    if (out_done_ == out_.size() * 8) {
      out_.clear();
      out_done_ = 0;
    }
  }
  if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
    while (true) {
      if (in_.size() * 8 < in_bytes_ + (1 << 16)) in_.resize(in_bytes_ / 8 + (1 << 17));
      char* at = reinterpret_cast<char*>(in_.data()) + in_bytes_;
      const ssize_t n = ::recv(sock_, at, in_.size() * 8 - in_bytes_, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        eof_ = true;
        break;
      }
      in_bytes_ += static_cast<std::size_t>(n);
    }
  }
  return true;
}

bool python_process::next(python_message& out) {
  const std::size_t words = in_bytes_ / 8;
  if (words < in_pos_ + 2) return false;
  const std::uint64_t n = in_[in_pos_ + 1];
  if (n > max_message_words) {
    throw std::runtime_error("the Python process sent a broken stream (a message of " +
                             std::to_string(n) + " words)");
  }
  if (words < in_pos_ + 2 + n) return false;
  out.type = in_[in_pos_];
  out.words = std::span<const std::uint64_t>(in_.data() + in_pos_ + 2, n);
  in_pos_ += 2 + n;
  return true;
}

std::string python_process::reap(std::chrono::milliseconds grace) {
  int status = 0;
  bool exited = false;
  const auto stop = std::chrono::steady_clock::now() + grace;
  while (pid_ > 0) {
    read_stderr();
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited = true;
      break;
    }
    if (r < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= stop) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string how;
  if (exited) {
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                            : "was killed by " + signal_name(WTERMSIG(status));
  } else if (pid_ > 0) {
    kill();
    how = "did not exit and was killed";
  }
  read_stderr();
  // Its last non-empty stderr line (a traceback's last line names the error).
  std::string_view tail = stderr_tail_;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.remove_suffix(1);
  if (const std::size_t nl = tail.rfind('\n'); nl != std::string_view::npos)
    tail.remove_prefix(nl + 1);
  if (!tail.empty()) how += ": " + std::string(tail);
  return how;
}

}  // namespace ccbench::models
