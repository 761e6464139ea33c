# Runs one rtcheck_probe case and checks how it ended.
#
#   cmake -DPROBE=<path> -DCASE=<name> -DEXPECT=<abort|exit=N> [-DSTDERR=<regex>]
#         [-DSTDOUT=<regex>] -P run_probe.cmake
#
# EXPECT=abort: the probe must die by SIGABRT (the interposer's default mode).
# EXPECT=exit=N: the probe must exit with status N (0 for clean cases, 86 for count mode
# with violations, 2 when the interposer is missing).
# STDERR / STDOUT: regular expressions the streams must match.
# The environment (LD_PRELOAD, FOLDBACK_RTCHECK) comes from the test's ENVIRONMENT.
foreach(var PROBE CASE EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_probe.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(
  COMMAND "${PROBE}" "${CASE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 30)
message("case ${CASE}: ended with [${rc}]\n--- stdout\n${out}--- stderr\n${err}---")

set(failures "")
if(EXPECT STREQUAL "abort")
  if(NOT rc STREQUAL "Subprocess aborted")
    string(APPEND failures "expected death by SIGABRT, got [${rc}]\n")
  endif()
elseif(EXPECT MATCHES "^exit=([0-9]+)$")
  if(NOT rc STREQUAL CMAKE_MATCH_1)
    string(APPEND failures "expected exit status ${CMAKE_MATCH_1}, got [${rc}]\n")
  endif()
else()
  message(FATAL_ERROR "run_probe.cmake: EXPECT must be abort or exit=N, not ${EXPECT}")
endif()
if(DEFINED STDERR AND NOT err MATCHES "${STDERR}")
  string(APPEND failures "stderr does not match: ${STDERR}\n")
endif()
if(DEFINED STDOUT AND NOT out MATCHES "${STDOUT}")
  string(APPEND failures "stdout does not match: ${STDOUT}\n")
endif()
if(failures)
  message(FATAL_ERROR "case ${CASE}:\n${failures}")
endif()
