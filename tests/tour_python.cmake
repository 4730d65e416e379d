# `ccbench tour --python --scale 0.05 --json FILE`: the lessons also run in
# CPython, side by side. Checks the structure, not the timing (the cli.tour
# test holds the loop's lessons to their times): every lesson of the loop's
# tour has a CPython twin, the GIL has its lesson, the interpreter is named,
# and the table is printed.
file(REMOVE "${JSON}")
execute_process(
  COMMAND ${CCBENCH} tour --python --scale 0.05 --json ${JSON}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
if(NOT status EQUAL 0 AND NOT status EQUAL 1)
  message(FATAL_ERROR "ccbench tour --python: exit status ${status}\n${out}\n${err}")
endif()
if(NOT EXISTS "${JSON}")
  message(FATAL_ERROR "ccbench tour --python wrote no JSON:\n${out}\n${err}")
endif()
file(READ "${JSON}" doc)
string(JSON interpreter GET "${doc}" python interpreter)
if(NOT interpreter MATCHES "^CPython 3\\.[0-9]+\\.[0-9]+, GIL (on|off)$")
  message(FATAL_ERROR "unexpected interpreter '${interpreter}'")
endif()
string(JSON n LENGTH "${doc}" python lessons)
set(names "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON name GET "${doc}" python lessons ${i} name)
  list(APPEND names ${name})
endforeach()
foreach(want gather create_task task_group task_group_failure semaphore timeout blocking_call
             to_thread cpu_to_process gil)
  list(FIND names ${want} at)
  if(at EQUAL -1)
    message(FATAL_ERROR "no CPython lesson '${want}' (got: ${names})")
  endif()
endforeach()
if(NOT out MATCHES "Side by side \\(CPython" OR NOT out MATCHES "gil +- +[0-9]")
  message(FATAL_ERROR "no side-by-side table:\n${out}")
endif()
