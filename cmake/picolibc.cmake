# Builds picolibc from the pinned Debian source with this arch's kernel flags (meson),
# cached under .cache/build by a hash of the flags so clean build trees reuse it.
set(PICOLIBC_SRC ${CORONET_SOURCE_CACHE}/picolibc)
if(NOT EXISTS ${PICOLIBC_SRC}/meson.build)
  message(FATAL_ERROR "picolibc source missing at ${PICOLIBC_SRC}: run tools/deps")
endif()

set(_pico_cflags ${CORONET_ARCH_FLAGS} -O2 -g -ffunction-sections -fdata-sections
    -fno-unwind-tables -fno-asynchronous-unwind-tables -fno-stack-protector)
string(SHA1 _pico_hash "${CORONET_ARCH};${_pico_cflags};picolibc-1.8.10;v3")
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
file(COPY_FILE ${PICOLIBC_BUILD}/cross.txt.new ${PICOLIBC_BUILD}/cross.txt ONLY_IF_DIFFERENT)

# Built at configure time, once per flag hash: every build tree then shares the result, and no
# compile can race a rebuild of the C library's headers.
if(NOT EXISTS ${PICOLIBC_BUILD}/.complete)
  message(STATUS "Building picolibc for ${CORONET_ARCH} into ${PICOLIBC_BUILD} (about a minute)")
  file(REMOVE_RECURSE ${PICOLIBC_BUILD}/meson ${PICOLIBC_PREFIX})
  execute_process(
    COMMAND meson setup ${PICOLIBC_BUILD}/meson ${PICOLIBC_SRC}
            --cross-file ${PICOLIBC_BUILD}/cross.txt --prefix ${PICOLIBC_PREFIX}
            --libdir lib --includedir include --buildtype plain
            -Dmultilib=false -Dpicocrt=false -Dsemihost=false -Dtests=false
            -Dspecsdir=none -Dthread-local-storage=false -Dposix-console=false
            -Dio-long-long=true -Dnewlib-global-errno=true
            -Dnewlib-nano-malloc=false -Dio-long-double=true
    OUTPUT_FILE ${PICOLIBC_BUILD}/setup.log ERROR_FILE ${PICOLIBC_BUILD}/setup.log
    RESULT_VARIABLE _rc)
  if(_rc EQUAL 0)
    execute_process(COMMAND ninja -C ${PICOLIBC_BUILD}/meson install
      OUTPUT_FILE ${PICOLIBC_BUILD}/build.log ERROR_FILE ${PICOLIBC_BUILD}/build.log
      RESULT_VARIABLE _rc)
  endif()
  if(NOT _rc EQUAL 0 OR NOT EXISTS ${PICOLIBC_LIBC})
    message(FATAL_ERROR "picolibc build failed: see ${PICOLIBC_BUILD}/setup.log and build.log")
  endif()
  file(TOUCH ${PICOLIBC_BUILD}/.complete)
endif()
