# Freestanding x86-64 kernel toolchain: Debian's native gcc with kernel flags.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_ASM_COMPILER gcc)
set(CORONET_CROSS_PREFIX "")
set(CORONET_ARCH x86_64)
# No red zone: interrupts land on the current stack. kernel code model: links low or in the top 2 GiB.
set(CORONET_ARCH_FLAGS -mcmodel=kernel -mno-red-zone -fno-pic -fno-pie)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
