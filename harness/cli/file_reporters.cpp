#include "harness/cli/file_reporters.hpp"

#include "harness/error.hpp"
#include "harness/hgrm.hpp"
#include "harness/results_json.hpp"
#include "harness/run_directory.hpp"
#include "harness/summary_csv.hpp"

namespace ccbench {

void json_file_reporter::write(const results& r, bool sync) {
  write_file_atomic(path_, to_json_text(r, rendered_), sync);
}

// After each run the file is replaced whole but not synced: a suite that is
// killed still leaves every run it finished, and the fsync of a file that
// grows to megabytes, once a run, was seconds of a quick `make bench`. The
// last write is synced.
void json_file_reporter::on_run(const run_record&, const run_position&, const results& so_far) {
  write(so_far, false);
}

void json_file_reporter::on_end(const results& final_results) {
  write(final_results, true);
  if (log_ != nullptr) *log_ << "ccbench: wrote " << path_.string() << '\n';
}

void csv_file_reporter::on_run(const run_record&, const run_position&, const results& so_far) {
  write_file_atomic(path_, to_summary_csv(so_far), false);  // as results.json's
}

void csv_file_reporter::on_end(const results& final_results) {
  write_file_atomic(path_, to_summary_csv(final_results));
}

run_directory_reporter::run_directory_reporter(std::filesystem::path dir, std::ostream* log)
    : dir_(std::move(dir)),
      log_(log),
      json_(dir_ / "results.json", nullptr),
      csv_(dir_ / "summary.csv") {}

void run_directory_reporter::on_start(const suite_plan&, const results&) {
  create_run_directory(dir_);
}

void run_directory_reporter::on_run(const run_record& record, const run_position& at,
                                    const results& so_far) {
  json_.on_run(record, at, so_far);
  csv_.on_run(record, at, so_far);
  // The run's latency histogram for HdrHistogram's tools: hgrm/NNN-....hgrm.
  if (!record.latency_bucket_ns.empty() && !so_far.runs.empty()) {
    const std::filesystem::path hgrm = dir_ / "hgrm";
    std::error_code ec;
    std::filesystem::create_directories(hgrm, ec);
    if (ec) throw io_error("cannot create '" + hgrm.string() + "': " + ec.message());
    const std::size_t index = so_far.runs.size() - 1;
    write_file_atomic(hgrm / hgrm_file_name(index, record), latency_hgrm(record));
    for (const class_result& c : record.classes) {
      write_file_atomic(hgrm / hgrm_file_name(index, record, c.name), latency_hgrm(c));
    }
  }
}

void run_directory_reporter::on_end(const results& final_results) {
  json_.on_end(final_results);
  csv_.on_end(final_results);
  point_latest_at(dir_);
  if (log_ != nullptr) {
    *log_ << "ccbench: wrote " << (dir_ / "results.json").string() << " and "
          << (dir_ / "summary.csv").string() << '\n';
  }
}

}  // namespace ccbench
