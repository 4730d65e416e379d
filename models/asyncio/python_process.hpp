// A Python interpreter started for one run, and the framed channel to it
// (protocol.md): messages of little-endian u64 words, [type, n, n words].
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccbench::models {

/// One message read from the interpreter; `words` lives until the next pump().
struct python_message {
  std::uint64_t type = 0;
  std::span<const std::uint64_t> words;
};

/// The interpreter, its socket (its descriptor 3) and its stderr (kept: the
/// last few KiB name what went wrong when it dies). The destructor kills and
/// reaps it if it still runs and closes every descriptor: nothing is left.
/// Use from one thread (the one that started it: the interpreter dies with
/// that thread, PR_SET_PDEATHSIG).
class python_process {
 public:
  /// Starts `python script args...`. Throws std::runtime_error when it cannot.
  python_process(const std::string& python, const std::string& script,
                 const std::vector<std::string>& args);
  ~python_process();
  python_process(const python_process&) = delete;
  python_process& operator=(const python_process&) = delete;

  pid_t pid() const noexcept { return pid_; }

  /// Queues a message; pump() writes it.
  void send(std::uint64_t type, std::span<const std::uint64_t> words);
  /// A message whose payload is `prefix` words, then text's byte count, then
  /// its bytes padded to whole words.
  void send_text(std::uint64_t type, std::span<const std::uint64_t> prefix, std::string_view text);

  /// Writes what is queued and reads what has arrived, waiting up to
  /// `timeout` for either. False once the interpreter closed its socket.
  bool pump(std::chrono::milliseconds timeout);
  /// The next whole message read, if any.
  bool next(python_message& out);

  /// Waits up to `grace` for the interpreter to exit (then kills it) and
  /// says how it ended: "exited with status 1: <its last stderr line>".
  std::string reap(std::chrono::milliseconds grace);
  /// The exit status after reap(): 0 for a clean exit.
  int exit_code() const noexcept { return exit_code_; }
  /// Kills and reaps it now.
  void kill() noexcept;

  /// The text of a send_text() message's payload from word `at` on.
  static std::string text_of(std::span<const std::uint64_t> words, std::size_t at);

 private:
  void read_stderr() noexcept;
  void close_fds() noexcept;

  pid_t pid_ = -1;
  int sock_ = -1;
  int err_ = -1;
  int exit_code_ = -1;
  bool eof_ = false;
  std::vector<std::uint64_t> out_;
  std::size_t out_done_ = 0;  // bytes of out_ written
  std::vector<std::uint64_t> in_;
  std::size_t in_bytes_ = 0;  // bytes of in_ filled
  std::size_t in_pos_ = 0;    // words of in_ parsed
  std::string stderr_tail_;
};

}  // namespace ccbench::models
