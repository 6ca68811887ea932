# The C toolchain for WebAssembly guests: Debian's clang with wasi-libc, lld and the wasm32
# compiler-rt builtins. Sets TRAVERSE_WASM_CC (the compiler) and TRAVERSE_WASM_GUEST_OK (whether it
# can build wasm32-wasi command modules), and TRAVERSE_WASM_FLAGS (the documented guest flags).
# Included once from the top-level CMakeLists.txt; src/guest and examples/expedition use it.
find_program(TRAVERSE_WASM_CC NAMES clang-14 clang)
find_program(TRAVERSE_WASM_AR NAMES llvm-ar-14 llvm-ar)
set(TRAVERSE_WASM_FLAGS --target=wasm32-wasi -std=c11 -O2 -g0 -Wall -Wextra -Wconversion -Werror)
set(TRAVERSE_WASM_GUEST_OK OFF)
if(TRAVERSE_WASM_CC AND TRAVERSE_WASM_AR)
  set(_probe_dir ${PROJECT_BINARY_DIR}/wasm-probe)
  file(MAKE_DIRECTORY ${_probe_dir})
  file(WRITE ${_probe_dir}/probe.c
    "#include <unistd.h>\nint main(void) { return (int)write(1, \"\", 0); }\n")
  execute_process(
    COMMAND ${TRAVERSE_WASM_CC} --target=wasm32-wasi -O2 ${_probe_dir}/probe.c
      -o ${_probe_dir}/probe.wasm
    RESULT_VARIABLE _probe_result OUTPUT_QUIET ERROR_QUIET)
  if(_probe_result EQUAL 0)
    set(TRAVERSE_WASM_GUEST_OK ON)
  endif()
endif()
if(NOT TRAVERSE_WASM_GUEST_OK)
  message(STATUS "wasm guests: no clang able to target wasm32-wasi (install clang, lld, "
                 "wasi-libc and libclang-rt-14-dev-wasm32); the guest SDK library is not built")
endif()
