# kafka_codegen(<out_var> <testing_out_var> API_SCHEMAS <json...> [DATA_SCHEMAS <json...>])
#
# Runs cmake/codegen/kafka_codegen.py over the schema files (format:
# proto/README.md), sets <out_var> to the generated message .cc files and
# <testing_out_var> to the test-only sample builders (testing/samples.cc). Generated
# code goes to ${PROJECT_BINARY_DIR}/gen/keel/protocol/{messages,internal}/,
# which keel_options already puts on the include path; it is never committed.
# The generator validates every schema first and fails the build on any error.
# Files are rewritten only when their content changes (ninja restat), so
# editing one schema recompiles only its own messages.
set(KEEL_CODEGEN_DIR ${CMAKE_CURRENT_LIST_DIR}/codegen)

function(kafka_codegen out_var testing_out_var)
  cmake_parse_arguments(K "" "" "API_SCHEMAS;DATA_SCHEMAS" ${ARGN})
  set(gen_root ${PROJECT_BINARY_DIR}/gen)
  set(outputs "")
  set(sources "")
  foreach(schema ${K_API_SCHEMAS})
    get_filename_component(stem ${schema} NAME_WE)
    list(APPEND outputs ${gen_root}/keel/protocol/messages/${stem}.h)
    list(APPEND sources ${gen_root}/keel/protocol/messages/${stem}.cc)
  endforeach()
  list(APPEND outputs ${gen_root}/keel/protocol/messages/api_keys.h
                      ${gen_root}/keel/protocol/messages/all.h)
  list(APPEND sources ${gen_root}/keel/protocol/messages/api_table.cc)
  foreach(schema ${K_DATA_SCHEMAS})
    get_filename_component(stem ${schema} NAME_WE)
    list(APPEND outputs ${gen_root}/keel/protocol/internal/${stem}.h)
    list(APPEND sources ${gen_root}/keel/protocol/internal/${stem}.cc)
  endforeach()
  set(testing_sources ${gen_root}/keel/protocol/testing/samples.cc)
  list(APPEND outputs ${gen_root}/keel/protocol/testing/samples.h)
  file(GLOB generator_files ${KEEL_CODEGEN_DIR}/*.py)
  set(stamp ${gen_root}/keel/protocol/codegen.stamp)
  add_custom_command(
    OUTPUT ${stamp}
    BYPRODUCTS ${outputs} ${sources} ${testing_sources}
    COMMAND ${Python3_EXECUTABLE} ${KEEL_CODEGEN_DIR}/kafka_codegen.py
            --out ${gen_root} --source-root ${PROJECT_SOURCE_DIR}
            --api ${K_API_SCHEMAS} --data ${K_DATA_SCHEMAS}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${K_API_SCHEMAS} ${K_DATA_SCHEMAS} ${generator_files}
    COMMENT "Generating Kafka protocol codecs from proto/"
    VERBATIM)
  add_custom_target(keel_protocol_codegen DEPENDS ${stamp})
  set(${out_var} ${sources} PARENT_SCOPE)
  set(${testing_out_var} ${testing_sources} PARENT_SCOPE)
endfunction()
