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

# The shared C++ runtime comes first on every link line. C++20-and-later translation units
# instantiate std::string's members themselves (libstdc++ declares them `extern template` only up
# to C++17), so each of our objects defines weak copies of them, while archives built in older
# modes (GoogleTest, Google Benchmark, wabt) leave them undefined. Met before libstdc++.so, such a
# reference pulls in whichever of our archive members happens to define the symbol, and
# everything that member needs: a CLI test that never starts a server linked the service's Beast
# code and most of the library, 426 MB a test executable in the dev preset instead of 12 MB
# (a dev build tree of 14 GB). A link option, not a library: CMake orders libraries by their
# dependencies and would put it last; options come before the objects.
target_link_options(traverse_build_flags INTERFACE -lstdc++)

# Debug information is compressed (zlib) in objects, archives and executables of the builds that
# carry it (dev, tsan): it is most of their size, and the sanitizers, gdb and addr2line read it
# compressed.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options($<$<CONFIG:Debug,RelWithDebInfo>:-gz>)
  add_link_options($<$<CONFIG:Debug,RelWithDebInfo>:-gz>)
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
  if(TRAVERSE_SANITIZE MATCHES "address")
    # ASan + UBSan executables are linked as position-dependent: a PIE `traverse` of the dev
    # preset spent 0.75 s of every start applying its dynamic relocations (UBSan's type data and
    # ASan's global descriptors are mostly pointers), 0.35 s without them, and the CLI tests
    # start it thousands of times. Release builds stay PIE (address-space randomisation).
    add_link_options("$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>")
  endif()
endif()

# The allocator of the programs that serve executions (`traverse`, and bench/serve_echo_server
# which stands for `traverse serve`): jemalloc (Debian libjemalloc-dev) instead of glibc's malloc.
# A traced execution allocates some 70 blocks, many freed by another thread than the one that
# allocated them; measured on 2 cores, `POST /v1/capabilities/execute` of a native capability
# answered 34-42% of the `/healthz` rate with glibc's malloc and 49-52% with jemalloc. Linked only
# into those executables (the library leaves the allocator to the program that embeds it), never
# into the sandbox worker (its seccomp filter allows only the system calls it needs) nor under a
# sanitizer (which brings its own allocator). OFF, or jemalloc missing: glibc's malloc.
option(TRAVERSE_USE_JEMALLOC "Link jemalloc into the traverse executable" ON)
function(traverse_link_allocator target)
  if(TRAVERSE_USE_JEMALLOC AND NOT TRAVERSE_SANITIZE AND NOT TRAVERSE_FUZZ)
    find_library(TRAVERSE_JEMALLOC_LIBRARY jemalloc)  # cached: searched once
    if(TRAVERSE_JEMALLOC_LIBRARY)
      target_link_libraries(${target} PRIVATE ${TRAVERSE_JEMALLOC_LIBRARY})
    endif()
  endif()
endfunction()

find_program(TRAVERSE_CCACHE ccache)
if(TRAVERSE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${TRAVERSE_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${TRAVERSE_CCACHE})
endif()
