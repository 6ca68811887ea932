# Run by ctest (cmake -P): install → configure consumer (no C++ standard set) → build → run it;
# then build and run the same consumer through pkg-config alone.
# Every step's output is shown on failure.
cmake_minimum_required(VERSION 3.25)

foreach(var TRAVERSE_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER EXAMPLE_BUNDLE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step name)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "install test step '${name}' failed (${result}):\n${ARGN}\n${output}")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

run_step(install ${CMAKE_COMMAND} --install ${TRAVERSE_BUILD_DIR} --prefix ${prefix})

# The installed tree must be self-contained: headers, the CMake package, the libraries, the CLI.
foreach(expected include/traverse/json/value.hpp include/traverse/registry/capability_registry.hpp
    include/traverse/guest.h share/traverse/schemas/capability_contract.schema.json)
  if(NOT EXISTS ${prefix}/${expected})
    message(FATAL_ERROR "install test: ${expected} was not installed under ${prefix}")
  endif()
endforeach()
file(GLOB_RECURSE config_files ${prefix}/*/traverseConfig.cmake)
if(NOT config_files)
  message(FATAL_ERROR "install test: no traverseConfig.cmake under ${prefix}")
endif()

set(sanitize_flags "")
if(SANITIZE)
  set(sanitize_flags "-fsanitize=${SANITIZE} -fno-omit-frame-pointer")
endif()
set(configure_args
  -S ${CONSUMER_SOURCE_DIR} -B ${consumer_build} -G ${GENERATOR}
  -DCMAKE_PREFIX_PATH=${prefix}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  "-DCMAKE_CXX_FLAGS=${sanitize_flags}"
  "-DCMAKE_EXE_LINKER_FLAGS=${sanitize_flags}")
if(C_COMPILER)
  list(APPEND configure_args -DCMAKE_C_COMPILER=${C_COMPILER})
endif()
if(BUILD_TYPE)
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
run_step(configure ${CMAKE_COMMAND} ${configure_args})
run_step(build ${CMAKE_COMMAND} --build ${consumer_build})

# Run the consumer and the installed CLI; both must work from the prefix alone.
run_step(run ${consumer_build}/app ${EXAMPLE_BUNDLE})
if(NOT step_output MATCHES "capabilities: 6, events: 5, workflows: 1")
  message(FATAL_ERROR "install test: unexpected consumer output:\n${step_output}")
endif()
message(STATUS "consumer: ${step_output}")

# The same consumer through pkg-config only (no CMake package): the installed traverse.pc is
# relocatable (its prefix is derived from ${pcfiledir}), so it works under this --prefix.
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf REQUIRED)
file(GLOB_RECURSE pc_files ${prefix}/*/pkgconfig/traverse.pc)
if(NOT pc_files)
  message(FATAL_ERROR "install test: no pkgconfig/traverse.pc under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
file(READ ${pc_file} pc_text)
if(pc_text MATCHES "${TRAVERSE_BUILD_DIR}" OR NOT pc_text MATCHES "pcfiledir")
  message(FATAL_ERROR "install test: traverse.pc is not relocatable:\n${pc_text}")
endif()
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
run_step(pkg_config_cflags ${PKG_CONFIG_EXECUTABLE} --cflags traverse)
string(STRIP "${step_output}" pc_cflags)
separate_arguments(pc_cflags UNIX_COMMAND "${pc_cflags}")
run_step(pkg_config_libs ${PKG_CONFIG_EXECUTABLE} --libs traverse)
string(STRIP "${step_output}" pc_libs)
separate_arguments(pc_libs UNIX_COMMAND "${pc_libs}")
separate_arguments(sanitize_list UNIX_COMMAND "${sanitize_flags}")
run_step(pkg_config_build ${CXX_COMPILER} ${sanitize_list} ${pc_cflags}
  ${CONSUMER_SOURCE_DIR}/main.cpp -o ${WORK_DIR}/app_pkg_config ${pc_libs})
run_step(pkg_config_run ${WORK_DIR}/app_pkg_config ${EXAMPLE_BUNDLE})
if(NOT step_output MATCHES "capabilities: 6, events: 5, workflows: 1")
  message(FATAL_ERROR "install test: unexpected pkg-config consumer output:\n${step_output}")
endif()
message(STATUS "pkg-config consumer: ${step_output}")

run_step(cli ${prefix}/bin/traverse --version)
if(NOT step_output MATCHES "^traverse [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "install test: installed traverse --version printed:\n${step_output}")
endif()

# With a wasm32 clang, the installed CLI scaffolds and builds a C capability against the
# installed guest SDK (<prefix>/include, <prefix>/<libdir>/wasm32-wasi), then runs it.
file(GLOB_RECURSE guest_libs ${prefix}/*/wasm32-wasi/libtraverse_guest.a)
find_program(WASM_CLANG NAMES clang-14 clang)
if(guest_libs AND WASM_CLANG)
  run_step(new_capability ${prefix}/bin/traverse new capability acme.text.shout
    --dir ${WORK_DIR}/shout)
  run_step(package_build ${prefix}/bin/traverse -v package build ${WORK_DIR}/shout/package.json)
  if(NOT step_output MATCHES "-I${prefix}/include")
    message(FATAL_ERROR "install test: package build did not use the installed SDK:\n${step_output}")
  endif()
  run_step(package_run ${prefix}/bin/traverse package run ${WORK_DIR}/shout/package.json
    ${WORK_DIR}/shout/request.json --trace-db ${WORK_DIR}/traces.db)
  if(NOT step_output MATCHES "HELLO, TRAVERSE")
    message(FATAL_ERROR "install test: unexpected package run output:\n${step_output}")
  endif()
endif()
