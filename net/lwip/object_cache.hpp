// Where lwIP's memory comes from (MEM_CUSTOM_ALLOCATOR in lwipopts.h; with MEMP_MEM_MALLOC its
// pools come through here too). lwIP asks for a few sizes again and again (control blocks,
// segments, a pbuf per frame sent): a freed object waits on a free list of its size for the
// next request of that size instead of going back to malloc, whose free list is a first-fit
// walk. Bounded (kCachedBytes), and nothing is kept while memory is short.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet::net {

inline constexpr size_t kCachedBytes = 256 * 1024;    // all free lists together, at most
inline constexpr size_t kLargestCachedObject = 2048;  // bigger ones go straight back
inline constexpr size_t kCachedSizes = 16;            // distinct sizes with a free list

struct ObjectCacheStats {
    uint64_t cached_bytes;  // on the free lists now
    uint64_t hits;          // requests served from a free list
    uint64_t misses;        // requests that went to malloc
};
ObjectCacheStats object_cache_stats();

}  // namespace coronet::net

extern "C" {
void* coronet_lwip_malloc(size_t size);
void* coronet_lwip_calloc(size_t count, size_t size);
void coronet_lwip_free(void* pointer);
}
