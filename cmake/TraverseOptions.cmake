# Compiler flags shared by every Traverse C++ target: strict warnings as errors, and the
# sanitizer selected by TRAVERSE_SANITIZE (set by the `dev` and `tsan` presets).
add_library(traverse_build_flags INTERFACE)
target_compile_options(traverse_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror)

if(TRAVERSE_SANITIZE)
  set(_traverse_sanitize_flags -fsanitize=${TRAVERSE_SANITIZE} -fno-omit-frame-pointer)
  if(TRAVERSE_SANITIZE MATCHES "undefined")
    list(APPEND _traverse_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_traverse_sanitize_flags})
  add_link_options(${_traverse_sanitize_flags})
endif()

find_program(TRAVERSE_CCACHE ccache)
if(TRAVERSE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${TRAVERSE_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${TRAVERSE_CCACHE})
endif()
