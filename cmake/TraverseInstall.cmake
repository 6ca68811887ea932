# Installs the library as a CMake package (find_package(traverse CONFIG)) and a pkg-config file.
include(CMakePackageConfigHelpers)

get_property(_traverse_modules GLOBAL PROPERTY TRAVERSE_MODULES)
add_library(traverse INTERFACE)
target_link_libraries(traverse INTERFACE ${_traverse_modules})
add_library(traverse::traverse ALIAS traverse)
# The public headers need C++23: a consumer that sets no standard still compiles them.
target_compile_features(traverse INTERFACE cxx_std_23)

install(TARGETS traverse ${_traverse_modules} traverse_build_flags
  EXPORT traverseTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/traverse DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# JSON Schema files of every artifact kind (editors validate artifacts through "$schema").
install(DIRECTORY schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/traverse/schemas)
install(EXPORT traverseTargets NAMESPACE traverse:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/traverse)

configure_package_config_file(cmake/traverseConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/traverseConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/traverse)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/traverseConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/traverseConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/traverseConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/traverse)

list(TRANSFORM _traverse_modules PREPEND "-l" OUTPUT_VARIABLE _traverse_pc_libs)
list(REVERSE _traverse_pc_libs)
list(JOIN _traverse_pc_libs " " TRAVERSE_PC_LIBS)
# Relocatable: the prefix is derived from where traverse.pc itself is installed
# (<prefix>/<libdir>/pkgconfig), so `cmake --install --prefix P` needs no reconfiguration.
file(RELATIVE_PATH TRAVERSE_PC_PREFIX_FROM_PCFILEDIR
  /traverse-root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /traverse-root)
string(REGEX REPLACE "/$" "" TRAVERSE_PC_PREFIX_FROM_PCFILEDIR "${TRAVERSE_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(cmake/traverse.pc.in ${CMAKE_CURRENT_BINARY_DIR}/traverse.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/traverse.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
