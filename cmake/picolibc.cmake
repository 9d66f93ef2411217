# Builds picolibc from the pinned Debian source with this arch's kernel flags (meson),
# cached under .cache/build by a hash of the flags so clean build trees reuse it.
set(PICOLIBC_SRC ${CORONET_SOURCE_CACHE}/picolibc)
if(NOT EXISTS ${PICOLIBC_SRC}/meson.build)
  message(FATAL_ERROR "picolibc source missing at ${PICOLIBC_SRC}: run tools/deps")
endif()

set(_pico_cflags ${CORONET_ARCH_FLAGS} -O2 -g -ffunction-sections -fdata-sections
    -fno-unwind-tables -fno-asynchronous-unwind-tables -fno-stack-protector)
string(SHA1 _pico_hash "${CORONET_ARCH};${_pico_cflags};picolibc-1.8.10;v1")
string(SUBSTRING ${_pico_hash} 0 12 _pico_hash)
set(PICOLIBC_BUILD ${CORONET_BUILD_CACHE}/picolibc-${CORONET_ARCH}-${_pico_hash})
set(PICOLIBC_PREFIX ${PICOLIBC_BUILD}/install)
set(PICOLIBC_INCLUDE ${PICOLIBC_PREFIX}/include)
set(PICOLIBC_LIBC ${PICOLIBC_PREFIX}/lib/libc.a)

set(_cpu_family ${CORONET_ARCH})
set(_quoted "")
foreach(f IN LISTS _pico_cflags)
  string(APPEND _quoted "'${f}', ")
endforeach()
file(MAKE_DIRECTORY ${PICOLIBC_BUILD})
file(WRITE ${PICOLIBC_BUILD}/cross.txt.new
"[binaries]
c = ['${CORONET_CROSS_PREFIX}gcc', '-nostdlib']
ar = '${CORONET_CROSS_PREFIX}ar'
as = '${CORONET_CROSS_PREFIX}as'
ld = '${CORONET_CROSS_PREFIX}ld'
nm = '${CORONET_CROSS_PREFIX}nm'
strip = '${CORONET_CROSS_PREFIX}strip'

[host_machine]
system = 'none'
cpu_family = '${_cpu_family}'
cpu = '${_cpu_family}'
endian = 'little'

[properties]
skip_sanity_check = true

[built-in options]
c_args = [${_quoted}]
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
  ${PICOLIBC_BUILD}/cross.txt.new ${PICOLIBC_BUILD}/cross.txt)

add_custom_command(
  OUTPUT ${PICOLIBC_LIBC}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${PICOLIBC_BUILD}/meson ${PICOLIBC_PREFIX}
  COMMAND meson setup ${PICOLIBC_BUILD}/meson ${PICOLIBC_SRC}
          --cross-file ${PICOLIBC_BUILD}/cross.txt --prefix ${PICOLIBC_PREFIX}
          --libdir lib --includedir include --buildtype plain
          -Dmultilib=false -Dpicocrt=false -Dsemihost=false -Dtests=false
          -Dspecsdir=none -Dthread-local-storage=false -Dposix-console=false
          -Dio-long-long=true -Dnewlib-global-errno=true > ${PICOLIBC_BUILD}/setup.log
  COMMAND ninja -C ${PICOLIBC_BUILD}/meson install > ${PICOLIBC_BUILD}/build.log
  DEPENDS ${PICOLIBC_BUILD}/cross.txt
  COMMENT "Building picolibc for ${CORONET_ARCH} (cached in ${PICOLIBC_BUILD})"
  VERBATIM)
add_custom_target(picolibc DEPENDS ${PICOLIBC_LIBC})
