// `ccbench compare A B`: checks both results files, then hands them to
// plot/compare.py (delta table, Mann-Whitney U where repetitions exist,
// overlay charts), run by a Python that has matplotlib and numpy.
#pragma once

#include <string>

namespace ccbench {

/// Returns the exit status of the comparison. Throws config_error when a file
/// is not a ccbench results file or no suitable Python is found.
int compare_results(const std::string& a, const std::string& b, const std::string& out_dir);

/// The first of /usr/bin/python3, python3 that imports matplotlib and numpy;
/// "" when none does.
std::string find_plot_python();

}  // namespace ccbench
