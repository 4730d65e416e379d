// `ccbench compare A B [C ...]`: checks the results files, then hands them to
// plot/compare.py (delta tables against the first, Mann-Whitney U where
// repetitions exist, overlay charts, --fail-above), run by a Python that has
// matplotlib and numpy.
#pragma once

#include <string>
#include <vector>

namespace ccbench {

/// Returns the exit status of the comparison. Throws config_error when a file
/// is not a ccbench results file or no suitable Python is found.
int compare_results(const std::string& a, const std::string& b, const std::string& out_dir);
/// Two files or more, each against the first. `fail_above` ("" for none): a
/// percentage; the status is 1 when a configuration regressed by more than it
/// beyond noise. Throws config_error for a bad percentage too.
int compare_results(const std::vector<std::string>& files, const std::string& out_dir,
                    const std::string& fail_above);

/// The first of /usr/bin/python3, python3 that imports matplotlib and numpy;
/// "" when none does.
std::string find_plot_python();

}  // namespace ccbench
