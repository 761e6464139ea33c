# The driver loader (src/host/loader.{hpp,cpp}): included by src/host/CMakeLists.txt.
add_library(foldback_loader STATIC ${CMAKE_CURRENT_LIST_DIR}/loader.cpp)
add_library(foldback::loader ALIAS foldback_loader)
target_include_directories(foldback_loader PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(foldback_loader
  PUBLIC foldback::registry foldback::headers
  PRIVATE fmt::fmt ${CMAKE_DL_LIBS})
