# Freestanding AArch64 kernel toolchain: Debian's aarch64-linux-gnu cross gcc with kernel flags.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CORONET_CROSS_PREFIX aarch64-linux-gnu-)
set(CORONET_ARCH aarch64)
# Outline atomics need glibc's getauxval; strict alignment because code runs before the MMU is on.
set(CORONET_ARCH_FLAGS -mno-outline-atomics -mstrict-align -fno-pic -fno-pie)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
