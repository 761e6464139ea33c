# foldback_add_driver(NAME SOURCES...): a driver MODULE that exports exactly the four
# entry points (version script), refuses undefined symbols, and lands in
# lib/foldback/drivers/foldback-NAME.so.
function(foldback_add_driver name)
  add_library(foldback_driver_${name} MODULE ${ARGN})
  set_target_properties(foldback_driver_${name} PROPERTIES
    OUTPUT_NAME foldback-${name} PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${FOLDBACK_DRIVER_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(foldback_driver_${name} PRIVATE
    -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/driver.map -Wl,-z,defs)
  set_property(TARGET foldback_driver_${name} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/driver.map)
  target_link_libraries(foldback_driver_${name} PRIVATE foldback::kit)
  install(TARGETS foldback_driver_${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/foldback/drivers)
  set_property(GLOBAL APPEND PROPERTY FOLDBACK_DRIVERS foldback_driver_${name})
endfunction()

# foldback_builtin_instance(NAME DRIVER_TARGET DESCRIPTION [CONFIG file]): an instance in
# the built-in root (build tree and install tree), so a fresh build lists it without
# registering. CONFIG: a config.toml shipped with it (user settings go to the overlay).
function(foldback_builtin_instance name target description)
  cmake_parse_arguments(ARG "" "CONFIG" "" ${ARGN})
  if(ARG_CONFIG)
    configure_file(${ARG_CONFIG} ${FOLDBACK_BUILTIN_ROOT_BUILD}/${name}/config.toml COPYONLY)
    configure_file(${ARG_CONFIG} ${CMAKE_BINARY_DIR}/install-builtin/${name}/config.toml COPYONLY)
  endif()
  file(GENERATE OUTPUT ${FOLDBACK_BUILTIN_ROOT_BUILD}/${name}/driver
       CONTENT "$<TARGET_FILE:${target}>\n")
  file(GENERATE OUTPUT ${FOLDBACK_BUILTIN_ROOT_BUILD}/${name}/description CONTENT "${description}\n")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/install-builtin/${name}/driver
       CONTENT "${CMAKE_INSTALL_FULL_LIBDIR}/foldback/drivers/$<TARGET_FILE_NAME:${target}>\n")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/install-builtin/${name}/description CONTENT "${description}\n")
  install(DIRECTORY ${CMAKE_BINARY_DIR}/install-builtin/${name} DESTINATION ${CMAKE_INSTALL_DATADIR}/foldback/drivers)
endfunction()
