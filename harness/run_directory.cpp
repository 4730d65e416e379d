#include "harness/run_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "harness/error.hpp"
#include "harness/results_json.hpp"
#include "harness/summary_csv.hpp"

namespace ccbench {

void write_file_atomic(const std::filesystem::path& path, std::string_view content, bool sync) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    throw io_error("cannot write '" + path.string() + "': " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      throw io_error("cannot write '" + path.string() + "': " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  fchmod(fd, 0644);
  // A full disk or a failing device may only show here: a file that did not
  // reach the disk must not replace the one that did.
  if (sync && ::fsync(fd) != 0 && errno != EINVAL) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw io_error("cannot write '" + path.string() + "': " + why);
  }
  ::close(fd);
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmpl.c_str());
    throw io_error("cannot write '" + path.string() + "': " + why);
  }
}

void check_new_run_directory(const std::filesystem::path& dir, std::string_view flag) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    throw config_error(std::string(flag) + " '" + dir.string() +
                       "': already exists; run directories are never overwritten, "
                       "choose a new name");
  }
}

void create_run_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (!std::filesystem::create_directory(dir, ec)) {
    throw config_error("--out '" + dir.string() + "': cannot create directory" +
                       (ec ? ": " + ec.message() : " (it exists already)"));
  }
}

void write_results_files(const std::filesystem::path& dir, const results& r) {
  write_file_atomic(dir / "results.json", to_json_text(r));
  write_file_atomic(dir / "summary.csv", to_summary_csv(r));
}

void point_latest_at(const std::filesystem::path& dir) {
  std::error_code ec;
  const std::filesystem::path parent = dir.has_parent_path() ? dir.parent_path() : ".";
  const std::filesystem::path latest = parent / "latest";
  if (std::filesystem::exists(std::filesystem::symlink_status(latest, ec)) &&
      !std::filesystem::is_symlink(latest, ec)) {
    return;
  }
  const std::filesystem::path tmp = parent / (".latest.tmp-" + std::to_string(::getpid()));
  std::filesystem::remove(tmp, ec);
  std::filesystem::create_directory_symlink(dir.filename(), tmp, ec);
  if (!ec) std::filesystem::rename(tmp, latest, ec);
}

void write_run_directory(const std::filesystem::path& dir, const results& r) {
  create_run_directory(dir);
  write_results_files(dir, r);
  point_latest_at(dir);
}

std::string make_run_id() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "-%04x", rd() & 0xffff);
  return std::string(buf) + suffix;
}

}  // namespace ccbench
