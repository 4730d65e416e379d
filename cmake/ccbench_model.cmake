# ccbench_model(NAME SOURCES file... [LIBRARIES target...])
#
# The library target of one model, ccbench::NAME, built from SOURCES on the
# harness, with the model's own third-party LIBRARIES kept PRIVATE to it. The
# CLI links every target made here (harness/cli/CMakeLists.txt), and its
# registry (harness/cli/registry.cpp) names the model: a new model is this
# call in models/NAME/CMakeLists.txt, its add_subdirectory, and a registry row.
function(ccbench_model name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES")
  add_library(ccbench_${name} STATIC ${arg_SOURCES})
  add_library(ccbench::${name} ALIAS ccbench_${name})
  target_link_libraries(ccbench_${name}
    PUBLIC ccbench::harness
    PRIVATE ${arg_LIBRARIES} ccbench::warnings)
  set_property(GLOBAL APPEND PROPERTY CCBENCH_MODEL_TARGETS ccbench::${name})
endfunction()
