// Where the Python scripts of the asyncio model are at run time.
#pragma once

#include <string>

namespace ccbench::models {

/// The path of `name` (ccbench_asyncio.py, ccbench_tour.py): beside the
/// binary (build/python/, where CMake copies them), one level up (test
/// binaries in build/tests/), else in the source tree the build was
/// configured from. Throws std::runtime_error naming where it looked.
std::string find_python_script(const char* name);

}  // namespace ccbench::models
