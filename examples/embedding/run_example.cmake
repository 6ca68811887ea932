# Runs the embedding example and checks what it prints: the capability's output and a trace entry
# with outcome Success. Fails on a non-zero exit status (including a sanitizer report).
#   cmake -DEXAMPLE=<embedding_example> -DCONTRACT=<greet-person.json> -P run_example.cmake
execute_process(COMMAND ${EXAMPLE} ${CONTRACT}
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
message("${out}${err}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "embedding_example exited with ${result}")
endif()
foreach(expected
    "output: {\"greeting\":\"Hello, Ada!\"}"
    "\"capability_id\": \"example.embedding.greet-person\""
    "\"placement_target\": \"Local\""
    "\"outcome\": \"Success\""
    "rejected: request_invalid"
    "\"outcome\": \"Rejected\"")
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "embedding_example did not print ${expected}")
  endif()
endforeach()
