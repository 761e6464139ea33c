# Proves that the ABI tests bite: each mutant is a copy of include/foldback/ with one
# realistic mistake, and the check named with it must reject that copy.
#
#   cmake -DC_COMPILER=... -DCXX_COMPILER=... "-DC_FLAGS=..." "-DCXX_FLAGS=..."
#         -DINCLUDE_DIR=<repo>/include -DHERE=<repo>/tests/abi -DWORK=<dir> -P mutants.cmake
#
# Checks:
#   pins   abi_pins.c must fail with one of its own static assertions. The copies have
#          asio.h's own layout pins cut out, so only tests/abi can catch the mistake.
#   c11    <header>_alone.c must fail to compile with the strict C11 flags.
#   cxx20  <header>_alone.cpp must fail to compile with the strict C++20 flags.
# First, the unmutated copy must pass every check (otherwise a failure proves nothing).
foreach(var C_COMPILER CXX_COMPILER C_FLAGS CXX_FLAGS INCLUDE_DIR HERE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "mutants.cmake: ${var} is not set")
  endif()
endforeach()
separate_arguments(c_flags UNIX_COMMAND "${C_FLAGS}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")

file(REMOVE_RECURSE "${WORK}")
file(READ "${INCLUDE_DIR}/foldback/asio.h" pristine_asio)
file(READ "${INCLUDE_DIR}/foldback/driver.h" pristine_driver)

set(pins_begin "/* ---- layout pins")
set(pins_end "#  undef FOLDBACK_STATIC_ASSERT\n#endif\n")
string(FIND "${pristine_asio}" "${pins_begin}" b)
string(FIND "${pristine_asio}" "${pins_end}" e)
if(b GREATER -1 AND e GREATER b)
  string(LENGTH "${pins_end}" n)
  math(EXPR e "${e} + ${n}")
  string(SUBSTRING "${pristine_asio}" 0 ${b} head)
  string(SUBSTRING "${pristine_asio}" ${e} -1 tail)
  set(pristine_asio "${head}${tail}")
else()
  message(WARNING "asio.h's own layout pins were not found; mutants run against them too")
endif()

# compile(<dir> <check> <stem> <ok_var> <log_var>)
function(compile dir check stem ok_var log_var)
  if(check STREQUAL "pins")
    set(cmd "${C_COMPILER}" ${c_flags} "${HERE}/abi_pins.c")
  elseif(check STREQUAL "c11")
    set(cmd "${C_COMPILER}" ${c_flags} "${HERE}/${stem}_alone.c")
  elseif(check STREQUAL "cxx20")
    set(cmd "${CXX_COMPILER}" ${cxx_flags} "${HERE}/${stem}_alone.cpp")
  else()
    message(FATAL_ERROR "unknown check ${check}")
  endif()
  execute_process(COMMAND ${cmd} -fsyntax-only "-I${dir}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    set(${ok_var} TRUE PARENT_SCOPE)
  else()
    set(${ok_var} FALSE PARENT_SCOPE)
  endif()
  set(${log_var} "${out}${err}" PARENT_SCOPE)
endfunction()

function(write_copy dir asio driver)
  file(WRITE "${dir}/foldback/asio.h" "${asio}")
  file(WRITE "${dir}/foldback/driver.h" "${driver}")
endfunction()

# Control: the pristine copy passes every check.
write_copy("${WORK}/pristine" "${pristine_asio}" "${pristine_driver}")
foreach(check_stem pins:driver c11:asio c11:driver cxx20:asio cxx20:driver)
  string(REPLACE ":" ";" parts "${check_stem}")
  list(GET parts 0 check)
  list(GET parts 1 stem)
  compile("${WORK}/pristine" ${check} ${stem} ok log)
  if(NOT ok)
    message(FATAL_ERROR "the unmutated headers fail the ${check} check (${stem}):\n${log}")
  endif()
endforeach()

set(missed "")
set(caught 0)
# mutant(<name> <asio.h|driver.h> <check> <old> <new> [<old> <new>]...): the replacements
# are applied in order; each <old> must still exist in the header.
function(mutant name header check)
  if(header STREQUAL "asio.h")
    set(text "${pristine_asio}")
  else()
    set(text "${pristine_driver}")
  endif()
  # ARGV<n> one by one: the texts contain semicolons, which ARGN would split.
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE 3 ${last} 2)
    math(EXPR j "${i} + 1")
    set(old "${ARGV${i}}")
    set(new "${ARGV${j}}")
    string(FIND "${text}" "${old}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "mutant ${name}: '${old}' is no longer in ${header}; update the mutant")
    endif()
    string(REPLACE "${old}" "${new}" text "${text}")
  endforeach()
  set(asio "${pristine_asio}")
  set(driver "${pristine_driver}")
  if(header STREQUAL "asio.h")
    set(asio "${text}")
  else()
    set(driver "${text}")
  endif()
  write_copy("${WORK}/${name}" "${asio}" "${driver}")
  string(REGEX REPLACE "\\.h$" "" stem "${header}")
  compile("${WORK}/${name}" ${check} ${stem} ok log)
  if(check STREQUAL "pins" AND NOT ok AND NOT log MATCHES "abi_pins\\.c:[0-9]+:[0-9]+: error: static")
    set(ok TRUE)  # failed, but not by one of our pins: that does not count
    set(log "no static assertion of abi_pins.c fired:\n${log}")
  endif()
  if(ok)
    message("MISSED  ${name} (${check})\n${log}")
    set(missed "${missed};${name}" PARENT_SCOPE)
  else()
    string(REGEX MATCH "[^\n]*error:[^\n]*" first "${log}")
    message("caught  ${name} (${check}): ${first}")
    math(EXPR n "${caught} + 1")
    set(caught ${n} PARENT_SCOPE)
  endif()
endfunction()

# ---- types and layout (pins) ------------------------------------------------------------
mutant(rate_is_float asio.h pins
  "typedef double ASIOSampleRate;" "typedef float ASIOSampleRate;")
mutant(samples_are_long asio.h pins  # same size on LP64: only the type pin sees it
  "typedef long long ASIOSamples;" "typedef long ASIOSamples;")
mutant(bool_is_int asio.h pins
  "typedef long ASIOBool;" "typedef int ASIOBool;")
mutant(channel_info_int_member asio.h pins
  "ASIOBool isActive;" "int isActive;")
mutant(time_info_reserved_16 asio.h pins  # size stays 56
  "char reserved[12];" "char reserved[16];")
mutant(time_code_flags_signed asio.h pins
  "unsigned long flags;     /* ASIOTimeCodeFlags */" "long flags;     /* ASIOTimeCodeFlags */")
mutant(transport_track_int asio.h pins  # offsets stay: alignment pads it back
  "    long track;" "    int track;")
mutant(clock_source_fields_swapped asio.h pins
  "long associatedChannel;" "long @TMP@;"
  "long associatedGroup;" "long associatedChannel;"
  "long @TMP@;" "long associatedGroup;")
mutant(callback_index_int asio.h pins
  "void (*bufferSwitch)(long doubleBufferIndex" "void (*bufferSwitch)(int doubleBufferIndex")
mutant(io_format_future_int asio.h pins
  "char future[512 - sizeof(ASIOIoFormatType)];" "char future[512 - sizeof(int)];")

# ---- constants (pins) ---------------------------------------------------------------------
mutant(error_value asio.h pins "ASE_NoClock = -995," "ASE_NoClock = -993,")
mutant(sample_type_value asio.h pins "ASIOSTInt24LSB = 17," "ASIOSTInt24LSB = 18,")
mutant(message_selector_value asio.h pins "kAsioOverload = 15," "kAsioOverload = 16,")
mutant(future_selector_value asio.h pins
  "kAsioCanReportOverload = 0x24042012," "kAsioCanReportOverload = 0x24042013,")
mutant(time_info_flag asio.h pins "kSampleRateChanged = 1 << 4," "kSampleRateChanged = 1 << 5,")
mutant(time_code_flag asio.h pins "kTcSpeedValid = 1 << 8" "kTcSpeedValid = 1 << 9")
mutant(transport_command asio.h pins "kTransStart = 1," "kTransStart = 0,")
mutant(io_format_value asio.h pins "kASIODSDFormat = 1" "kASIODSDFormat = 2")
mutant(instance_name_selector driver.h pins
  "kFoldbackSetInstanceName = 0x7F000001," "kFoldbackSetInstanceName = 0x7F000002,")

# ---- object, vtable, entry points (pins) ----------------------------------------------------
mutant(object_table_not_first driver.h pins
  "const FoldbackDriverVtbl* lpVtbl;" "long refCount;\n    const FoldbackDriverVtbl* lpVtbl;")
mutant(vtable_extra_slot driver.h pins
  "    ASIOError (*stop)(FoldbackDriver* self);"
  "    ASIOError (*stop)(FoldbackDriver* self);\n    ASIOError (*pause)(FoldbackDriver* self);")
mutant(vtable_two_slots_swapped driver.h pins  # same signatures: only offsets differ
  "(*getChannels)" "(*@TMP@)"
  "(*getLatencies)" "(*getChannels)"
  "(*@TMP@)" "(*getLatencies)")
mutant(vtable_return_int driver.h pins
  "long (*getDriverVersion)(FoldbackDriver* self);" "int (*getDriverVersion)(FoldbackDriver* self);")
mutant(vtable_parameter_int driver.h pins
  "(*setClockSource)(FoldbackDriver* self, long reference)"
  "(*setClockSource)(FoldbackDriver* self, int reference)")
mutant(vtable_parameter_float driver.h pins
  "(*canSampleRate)(FoldbackDriver* self, ASIOSampleRate sampleRate)"
  "(*canSampleRate)(FoldbackDriver* self, float sampleRate)")
mutant(vtable_out_pointer driver.h pins "void** out);" "void* out);")
mutant(vtable_callbacks_not_const driver.h pins
  "const ASIOCallbacks* callbacks);" "ASIOCallbacks* callbacks);")
mutant(vtable_self_void driver.h pins
  "unsigned long (*addRef)(FoldbackDriver* self);" "unsigned long (*addRef)(void* self);")
mutant(entry_point_returns_long driver.h pins
  "int registerDriver(const char* name);" "long registerDriver(const char* name);")
mutant(entry_point_returns_void_pointer driver.h pins
  "FoldbackDriver* instantiateDriver(void);" "void* instantiateDriver(void);")

# ---- each header alone, strict (c11, cxx20) -------------------------------------------------
mutant(driver_without_asio_c driver.h c11 "#include \"asio.h\"" "")
mutant(driver_without_asio_cxx driver.h cxx20 "#include \"asio.h\"" "")
mutant(driver_without_guard driver.h c11
  "#ifndef FOLDBACK_DRIVER_H\n#define FOLDBACK_DRIVER_H" "")
mutant(asio_extern_c_unguarded asio.h c11
  "#ifdef __cplusplus\nextern \"C\" {\n#endif" "extern \"C\" {")
mutant(asio_bool_without_stdbool asio.h c11 "typedef long ASIOBool;" "typedef bool ASIOBool;")
mutant(asio_empty_struct asio.h c11  # -pedantic-errors
  "/* ---- §2 basic types" "struct FoldbackEmpty {};\n/* ---- §2 basic types")
mutant(asio_unused_parameter asio.h c11  # -Wextra -Werror
  "/* ---- §2 basic types"
  "static inline long foldbackClamp(long v, long max) { return v; }\n/* ---- §2 basic types")
mutant(driver_cxx_keyword driver.h cxx20
  "    void* context;\n} FoldbackThreadCreator;" "    void* template;\n} FoldbackThreadCreator;")
mutant(asio_int_to_enum asio.h cxx20  # fine in C, an error in C++
  "} ASIOTimeCodeFlags;" "} ASIOTimeCodeFlags;\nstatic const ASIOTimeCodeFlags kTcFoldbackDefault = 1;")

message("${caught} mutants caught")
if(missed)
  message(FATAL_ERROR "mutants the ABI tests did not catch:${missed}")
endif()
