# cmake -DBUILT=<rebuilt.wasm> -DCOMMITTED=<committed.wasm> -P check_wasm.cmake
# Fails when the rebuilt module differs from the committed one (see CMakeLists.txt).
if(NOT EXISTS "${COMMITTED}")
  message(FATAL_ERROR "${COMMITTED} is missing; build the target expedition_wasm_update")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${BUILT}" "${COMMITTED}"
  RESULT_VARIABLE different)
if(different)
  file(SIZE "${BUILT}" built_size)
  file(SIZE "${COMMITTED}" committed_size)
  message(FATAL_ERROR
    "${BUILT} (${built_size} bytes) differs from the committed ${COMMITTED} "
    "(${committed_size} bytes). If the C sources changed on purpose, build the target "
    "expedition_wasm_update and update binary.expected_digest in the package.json manifests.")
endif()
