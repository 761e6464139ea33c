# Checks that every given driver .so exports exactly the four entry points, unversioned.
#
#   cmake -DNM=<nm> -P check_exports.cmake [--] <driver.so>...
#
# "Exports" means the defined dynamic symbols as `nm -D --defined-only` lists them. With
# cmake/driver.map, GNU ld 2.40 and GCC 12 the list has exactly the four lines: no _init,
# _fini, _edata, _end or __bss_start (the map's `local: *` hides the linker-defined ones).
# So there are no exceptions to the rule. Undefined symbols (imports) are not checked.
# An empty list of drivers is a failure: a check that checks nothing cannot pass.
if(NOT NM)
  message(FATAL_ERROR "check_exports.cmake: NM is not set")
endif()

# Everything after the script's own path is a driver (an optional -- is skipped).
set(libs "")
set(after_script FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  set(arg "${CMAKE_ARGV${i}}")
  if(after_script)
    if(NOT arg STREQUAL "--")
      list(APPEND libs "${arg}")
    endif()
  elseif(arg STREQUAL "-P")
    math(EXPR script_index "${i} + 1")
  elseif(DEFINED script_index AND i EQUAL script_index)
    set(after_script TRUE)
  endif()
endforeach()

if(NOT libs)
  message(FATAL_ERROR "no driver .so to check: the GLOBAL property FOLDBACK_DRIVERS is empty "
                      "(no target was made with foldback_add_driver())")
endif()

set(expected instantiateDriver registerDriver releaseDriver unregisterDriver)
set(failures "")
foreach(lib IN LISTS libs)
  if(NOT EXISTS "${lib}")
    string(APPEND failures "${lib}: not built\n")
    continue()
  endif()
  execute_process(
    COMMAND "${NM}" -D --defined-only --format=posix "${lib}"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(APPEND failures "${lib}: ${NM} failed (${rc}): ${err}\n")
    continue()
  endif()
  # posix format: "<name> <type> <value> [<size>]" per line
  string(REPLACE "\n" ";" lines "${out}")
  set(names "")
  set(not_code "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^([^ ]+) ([A-Za-z]) ")
      list(APPEND names "${CMAKE_MATCH_1}")
      if(NOT CMAKE_MATCH_2 STREQUAL "T")
        list(APPEND not_code "${CMAKE_MATCH_1} (${CMAKE_MATCH_2})")
      endif()
    endif()
  endforeach()
  list(SORT names)
  set(unexpected ${names})
  list(REMOVE_ITEM unexpected ${expected})
  set(missing ${expected})
  if(names)
    list(REMOVE_ITEM missing ${names})
  endif()
  list(LENGTH names count)
  if(unexpected OR missing)
    string(APPEND failures "${lib}: exports ${count} symbols, expected exactly the 4 entry points\n")
    foreach(name IN LISTS unexpected)
      if(name MATCHES "^(instantiateDriver|releaseDriver|registerDriver|unregisterDriver)@")
        string(APPEND failures "  versioned: ${name} (the entry points must be unversioned: "
                               "use an anonymous version script like cmake/driver.map)\n")
      else()
        string(APPEND failures "  unexpected: ${name}\n")
      endif()
    endforeach()
    foreach(name IN LISTS missing)
      string(APPEND failures "  missing: ${name}\n")
    endforeach()
  elseif(not_code)
    string(JOIN ", " list ${not_code})
    string(APPEND failures "${lib}: entry points that are not functions: ${list}\n")
  else()
    message(STATUS "${lib}: exactly the 4 entry points")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "driver exports:\n${failures}")
endif()
