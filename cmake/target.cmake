# Freestanding build of one arch: picolibc, lwIP, libfdt, zlib, mbedTLS, the kernel and arch
# libraries, and every board's images of that arch.
include(${CMAKE_SOURCE_DIR}/cmake/picolibc.cmake)
include(${CMAKE_SOURCE_DIR}/cmake/libstdcxx_shims.cmake)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_C_STANDARD 11)

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Debug)
endif()
set(CMAKE_C_FLAGS_DEBUG "-Og -g")
set(CMAKE_CXX_FLAGS_DEBUG "-Og -g")
set(CMAKE_ASM_FLAGS_DEBUG "-g")
set(CMAKE_C_FLAGS_RELEASE "-O2 -g")
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -g")

# Everything in the image: freestanding, no unwinder, frame pointers kept for backtraces.
add_library(coronet_freestanding INTERFACE)
target_compile_options(coronet_freestanding INTERFACE
  ${CORONET_ARCH_FLAGS}
  -ffreestanding -nostdinc -fno-omit-frame-pointer -ffunction-sections -fdata-sections
  -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-common
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit>
  # Include order matters: libstdc++'s wrappers #include_next picolibc's C headers.
  "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-isystem ${CORONET_SHIM_DIR}>"
  "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-isystem ${CORONET_CXX_INCLUDE}>"
  "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-isystem ${CORONET_CXX_ARCH_INCLUDE}>"
  "SHELL:-isystem ${PICOLIBC_INCLUDE}" "SHELL:-isystem ${CORONET_GCC_INCLUDE}")
target_compile_definitions(coronet_freestanding INTERFACE CORONET_ARCH_${CORONET_ARCH}=1)

# Our own code: warnings are errors, stack protector on.
add_library(coronet_strict INTERFACE)
target_link_libraries(coronet_strict INTERFACE coronet_freestanding)
target_compile_options(coronet_strict INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wundef -Wnon-virtual-dtor -Wno-missing-field-initializers
  -fstack-protector-strong $<$<STREQUAL:${CORONET_ARCH},x86_64>:-mstack-protector-guard=global>)
target_include_directories(coronet_strict INTERFACE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)


include(${CMAKE_SOURCE_DIR}/cmake/lwip.cmake)
include(${CMAKE_SOURCE_DIR}/cmake/zlib.cmake)
include(${CMAKE_SOURCE_DIR}/cmake/mbedtls.cmake)
if(CORONET_ARCH STREQUAL aarch64)
  include(${CMAKE_SOURCE_DIR}/cmake/libfdt.cmake)
endif()
include(${CMAKE_SOURCE_DIR}/cmake/image.cmake)

configure_file(${CMAKE_SOURCE_DIR}/kernel/version.hpp.in ${CMAKE_BINARY_DIR}/generated/kernel/version.hpp @ONLY)

add_subdirectory(arch/${CORONET_ARCH} arch)
add_subdirectory(kernel)
add_subdirectory(drivers)
add_subdirectory(net)
add_subdirectory(apps)
add_subdirectory(tests/kernel)

file(GLOB _boards RELATIVE ${CMAKE_SOURCE_DIR}/boards ${CMAKE_SOURCE_DIR}/boards/*/CMakeLists.txt)
foreach(b IN LISTS _boards)
  get_filename_component(_dir ${b} DIRECTORY)
  file(READ ${CMAKE_SOURCE_DIR}/boards/${_dir}/board.json _json)
  string(JSON _arch GET "${_json}" arch)
  if(_arch STREQUAL CORONET_ARCH)
    add_subdirectory(boards/${_dir} boards/${_dir})
  endif()
endforeach()
