# Host build: unit tests of the portable code (GoogleTest, with sanitizers), the per-arch
# kernel builds as sub-projects, and CTest registrations that boot their images in QEMU.
include(ExternalProject)
enable_testing()
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Debug)
endif()

set(CORONET_ARCHES x86_64 aarch64 CACHE STRING "Arches whose images are built and tested")

foreach(arch IN LISTS CORONET_ARCHES)
  ExternalProject_Add(images-${arch}
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/${arch}
    CMAKE_GENERATOR Ninja
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchain-${arch}.cmake
               -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
               -DCORONET_SOURCE_CACHE=${CORONET_SOURCE_CACHE}
               -DCORONET_BUILD_CACHE=${CORONET_BUILD_CACHE}
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON
    INSTALL_COMMAND "")
endforeach()

add_subdirectory(tests/unit)
include(${CMAKE_SOURCE_DIR}/cmake/guest_tests.cmake)
