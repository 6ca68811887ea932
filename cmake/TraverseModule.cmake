# traverse_add_module(NAME <module> [DEPS <targets>...] [PRIVATE_DEPS <targets>...])
#
# Declares the static library `traverse_<module>` from every .cpp in the calling folder
# (src/<module>/). Public headers live in include/traverse/<module>/. The library is installed and
# exported as `traverse::<module>`, and `traverse::traverse` links every module.
function(traverse_add_module)
  cmake_parse_arguments(ARG "" "NAME" "DEPS;PRIVATE_DEPS" ${ARGN})
  set(target traverse_${ARG_NAME})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/traverse/${ARG_NAME}/*.hpp)
  if(sources)
    add_library(${target} STATIC ${sources} ${headers})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE traverse_build_flags ${ARG_PRIVATE_DEPS})
    set(scope PUBLIC)
  else()
    # A module with headers only (for now): still a target so dependants can link it.
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
    set(scope INTERFACE)
  endif()
  # C++23 is a usage requirement of every module's headers (consumers need not set a standard).
  target_compile_features(${target} ${scope} cxx_std_23)
  target_include_directories(${target} ${scope}
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${ARG_NAME} OUTPUT_NAME traverse_${ARG_NAME})
  add_library(traverse::${ARG_NAME} ALIAS ${target})
  set_property(GLOBAL APPEND PROPERTY TRAVERSE_MODULES ${target})
endfunction()
