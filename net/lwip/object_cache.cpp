// Exact-size free lists in front of malloc. Every object carries a header with its size, so a
// free needs no lookup; a free object's first word links it into its list.
#include "net/lwip/object_cache.hpp"

#include <cstdlib>
#include <cstring>

#include "kernel/memory/memory.hpp"

namespace coronet::net {
namespace {

// Before every object: its requested size. 16 bytes keep malloc's 16-byte alignment.
struct alignas(16) Header {
    size_t size;
};

struct FreeObject {
    FreeObject* next;
};

struct SizeList {
    size_t size = 0;  // 0: unused
    FreeObject* head = nullptr;
};

SizeList g_lists[kCachedSizes];
ObjectCacheStats g_stats{};

SizeList* list_for(size_t size, bool create) {
    if (size > kLargestCachedObject) return nullptr;
    for (SizeList& list : g_lists) {
        if (list.size == size) return &list;
    }
    if (!create) return nullptr;
    for (SizeList& list : g_lists) {
        if (list.size == 0) {
            list.size = size;
            return &list;
        }
    }
    return nullptr;  // more sizes than lists: those are not cached
}

}  // namespace

ObjectCacheStats object_cache_stats() { return g_stats; }

}  // namespace coronet::net

using namespace coronet;
using namespace coronet::net;

extern "C" void* coronet_lwip_malloc(size_t size) {
    if (SizeList* list = list_for(size, false); list && list->head) {
        FreeObject* object = list->head;
        list->head = object->next;
        g_stats.cached_bytes -= size;
        ++g_stats.hits;
        return object;
    }
    ++g_stats.misses;
    auto* header = static_cast<Header*>(malloc(sizeof(Header) + (size ? size : 1)));
    if (!header) return nullptr;
    header->size = size;
    return header + 1;
}

extern "C" void* coronet_lwip_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return nullptr;
    void* object = coronet_lwip_malloc(count * size);
    if (object) std::memset(object, 0, count * size);
    return object;
}

extern "C" void coronet_lwip_free(void* pointer) {
    if (!pointer) return;
    Header* header = static_cast<Header*>(pointer) - 1;
    size_t size = header->size;
    SizeList* list = size >= sizeof(FreeObject) ? list_for(size, true) : nullptr;
    if (list && g_stats.cached_bytes + size <= kCachedBytes && !memory::short_of_memory()) {
        auto* object = static_cast<FreeObject*>(pointer);
        object->next = list->head;
        list->head = object;
        g_stats.cached_bytes += size;
        return;
    }
    free(header);
}
