# zlib's raw deflate/inflate (permessage-deflate) from the pinned source, built with Z_SOLO: no
# default allocator and no file I/O, so callers always pass zalloc/zfree. Guest or host role.
set(ZLIB_SRC ${CORONET_SOURCE_CACHE}/zlib)
if(NOT EXISTS ${ZLIB_SRC}/deflate.c)
  message(FATAL_ERROR "zlib source missing at ${ZLIB_SRC}: run tools/deps")
endif()
add_library(coronet_zlib STATIC
  ${ZLIB_SRC}/adler32.c ${ZLIB_SRC}/crc32.c ${ZLIB_SRC}/deflate.c ${ZLIB_SRC}/inflate.c
  ${ZLIB_SRC}/inffast.c ${ZLIB_SRC}/inftrees.c ${ZLIB_SRC}/trees.c ${ZLIB_SRC}/zutil.c)
# Only the API on consumers' include path, not zlib's internal headers (deflate.h, zutil.h, ...).
set(_zlib_include ${CMAKE_BINARY_DIR}/zlib/include)
configure_file(${ZLIB_SRC}/zlib.h ${_zlib_include}/zlib.h COPYONLY)
configure_file(${ZLIB_SRC}/zconf.h ${_zlib_include}/zconf.h COPYONLY)
target_include_directories(coronet_zlib SYSTEM PUBLIC ${_zlib_include})
# Public: Z_SOLO changes zconf.h's types and hides the gz* API, so every includer must agree.
target_compile_definitions(coronet_zlib PUBLIC Z_SOLO)
if(CORONET_ARCH)
  target_link_libraries(coronet_zlib PRIVATE coronet_freestanding)
  target_compile_options(coronet_zlib PRIVATE -Wall -Wextra -Werror -fno-stack-protector)
endif()
