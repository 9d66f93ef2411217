# libstdc++'s headers assume glibc. Two generated headers let them sit over picolibc:
# a features.h that forwards to picolibc's, and a c++config.h without gthreads/futex.
set(CORONET_SHIM_DIR ${CMAKE_BINARY_DIR}/shims)
file(WRITE ${CORONET_SHIM_DIR}/features.h.new
"/* Generated: libstdc++'s Linux config includes glibc's features.h; picolibc has its own. */
#include <sys/features.h>
#define __GLIBC_PREREQ(major, minor) 0
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
  ${CORONET_SHIM_DIR}/features.h.new ${CORONET_SHIM_DIR}/features.h)

execute_process(COMMAND ${CMAKE_CXX_COMPILER} -dumpversion OUTPUT_VARIABLE _gcc_ver OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -dumpmachine OUTPUT_VARIABLE _gcc_triple OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX MATCH "^[0-9]+" _gcc_major ${_gcc_ver})
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=include OUTPUT_VARIABLE CORONET_GCC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
if(CORONET_CROSS_PREFIX)
  set(CORONET_CXX_INCLUDE /usr/${_gcc_triple}/include/c++/${_gcc_major})
  set(CORONET_CXX_ARCH_INCLUDE ${CORONET_CXX_INCLUDE}/${_gcc_triple})
else()
  set(CORONET_CXX_INCLUDE /usr/include/c++/${_gcc_major})
  set(CORONET_CXX_ARCH_INCLUDE /usr/include/${_gcc_triple}/c++/${_gcc_major})
endif()
file(READ ${CORONET_CXX_ARCH_INCLUDE}/bits/c++config.h _cfg)
string(REGEX REPLACE "\n#define _GLIBCXX_HAS_GTHREADS 1" "\n/* gthreads off: no threads in Coronet */" _cfg "${_cfg}")
string(REGEX REPLACE "\n#define _GLIBCXX_HAVE_LINUX_FUTEX 1" "\n/* futex off */" _cfg "${_cfg}")
file(WRITE ${CORONET_SHIM_DIR}/bits/c++config.h.new "${_cfg}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
  ${CORONET_SHIM_DIR}/bits/c++config.h.new ${CORONET_SHIM_DIR}/bits/c++config.h)
