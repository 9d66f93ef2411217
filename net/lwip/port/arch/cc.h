/* lwIP compiler/platform hooks for Coronet: picolibc types, diagnostics to the console,
   assertions into the kernel's panic. */
#ifndef CORONET_LWIP_ARCH_CC_H
#define CORONET_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

/* picolibc has ssize_t; tell lwIP so it does not define its own. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

#ifdef __cplusplus
extern "C" {
#endif
void coronet_lwip_assert(const char* message, const char* file, int line) __attribute__((noreturn));
uint32_t coronet_lwip_random(void);
void coronet_lwip_assert_context(void);
/* MEM_CUSTOM_ALLOCATOR (net/lwip/object_cache.hpp) */
void* coronet_lwip_malloc(size_t size);
void* coronet_lwip_calloc(size_t count, size_t size);
void coronet_lwip_free(void* pointer);
/* SNTP's clock and poll interval (net/time_sync.cpp) */
void coronet_sntp_get_time(int32_t* seconds, uint32_t* fraction);
void coronet_sntp_set_time(int32_t seconds, uint32_t fraction);
uint32_t coronet_sntp_update_delay_ms(void);
#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        printf x;             \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) coronet_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() coronet_lwip_random()
#define LWIP_NO_UNISTD_H 1

#endif
