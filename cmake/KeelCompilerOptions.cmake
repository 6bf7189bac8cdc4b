# Warnings and sanitizer flags shared by every Keel target (through keel_options).
add_library(keel_options INTERFACE)
target_compile_options(keel_options INTERFACE
  -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-missing-field-initializers)
target_include_directories(keel_options INTERFACE
  ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/gen)
if(KEEL_SANITIZE)
  target_compile_options(keel_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(keel_options INTERFACE -fsanitize=address,undefined)
endif()
if(KEEL_FUZZ)
  target_compile_options(keel_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(keel_options INTERFACE -fsanitize=address,undefined)
endif()
