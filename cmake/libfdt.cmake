# libfdt from the pinned device-tree-compiler source: the AArch64 boards read their
# memory map and devices from the device tree QEMU (or firmware) hands over.
set(LIBFDT_SRC ${CORONET_SOURCE_CACHE}/device-tree-compiler/libfdt)
if(NOT EXISTS ${LIBFDT_SRC}/fdt.c)
  message(FATAL_ERROR "libfdt source missing at ${LIBFDT_SRC}: run tools/deps")
endif()
add_library(fdt STATIC
  ${LIBFDT_SRC}/fdt.c ${LIBFDT_SRC}/fdt_ro.c ${LIBFDT_SRC}/fdt_addresses.c
  ${LIBFDT_SRC}/fdt_strerror.c ${LIBFDT_SRC}/fdt_check.c)
target_link_libraries(fdt PRIVATE coronet_freestanding)
target_include_directories(fdt SYSTEM PUBLIC ${LIBFDT_SRC})
target_compile_options(fdt PRIVATE -Wall -Werror -fno-stack-protector)
