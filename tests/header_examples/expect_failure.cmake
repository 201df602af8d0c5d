# Runs a command that must fail, and passes only when it does, saying what EXPECT matches.
# SPDX-License-Identifier: MIT
#
#   cmake -DEXPECT=<regex> -P expect_failure.cmake -- <command> [args...]
#
# A failure that ctest sees as a signal (a failed assert aborts) cannot be
# judged by PASS_REGULAR_EXPRESSION, and that property alone would also pass a
# command that printed the text and exited 0; this checks both.

set(command "")
set(after_separator OFF)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator ON)
  endif()
endforeach()
if(NOT command OR NOT DEFINED EXPECT)
  message(FATAL_ERROR "usage: cmake -DEXPECT=<regex> -P expect_failure.cmake -- <command> [args...]")
endif()

execute_process(COMMAND ${command}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
message("${output}")
if(result STREQUAL "0")
  message(FATAL_ERROR "expected a failure, but the command succeeded")
endif()
if(NOT output MATCHES "${EXPECT}")
  message(FATAL_ERROR "the command failed (${result}), but its output does not match: ${EXPECT}")
endif()
message("failed as expected (${result})")
