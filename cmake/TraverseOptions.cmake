# Compiler flags shared by every Traverse C++ target: strict warnings as errors, and the
# sanitizer selected by TRAVERSE_SANITIZE (set by the `dev` and `tsan` presets).
add_library(traverse_build_flags INTERFACE)
target_compile_options(traverse_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow)
if(NOT TRAVERSE_FUZZ)
  # Warnings are errors in every GCC preset. The fuzz build (clang-16) keeps them as warnings:
  # clang's set differs from GCC's, and the fuzzers must build to find bugs.
  target_compile_options(traverse_build_flags INTERFACE -Werror)
endif()

if(TRAVERSE_FUZZ)
  # libFuzzer build (the `fuzz` preset, clang-16). Debian 12's GCC 12 libstdc++ declares
  # std::expected only when __cpp_concepts >= 202002L, which clang 16 does not define yet; its
  # concepts support is complete enough for <expected>, so the macro is raised for C++20-and-later
  # sources (the C++17 wasm engine must keep clang's own value).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -Wno-macro-redefined
    "$<$<NOT:$<STREQUAL:$<TARGET_PROPERTY:CXX_STANDARD>,17>>:-D__cpp_concepts=202002L>")
  add_link_options(-fsanitize=address,undefined)
endif()

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
