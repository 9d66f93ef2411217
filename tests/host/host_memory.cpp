// memory::stats() and the reserve check over glibc's heap, for host tests.
#include "tests/host/host_memory.hpp"

#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
// The sanitizer runtime's allocator statistics (GCC ships the runtime but not this header).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_heap_size();
#endif

#include "kernel/memory/memory.hpp"

namespace coronet {
namespace {

bool g_short = false;
uint64_t g_refusals = 0;

}  // namespace

void host::set_short_of_memory(bool short_of_memory) { g_short = short_of_memory; }

bool memory::short_of_memory() { return g_short; }

void memory::count_refusal() { ++g_refusals; }

memory::Stats memory::stats() {
    Stats stats{};
#if defined(__SANITIZE_ADDRESS__)  // ASan's allocator replaces glibc's, mallinfo2 reads zeros
    stats.heap_used = __sanitizer_get_current_allocated_bytes();
    stats.heap_bytes = __sanitizer_get_heap_size();
#else
    struct mallinfo2 info = mallinfo2();
    stats.heap_bytes = info.arena + info.hblkhd;
    stats.heap_used = info.uordblks + info.hblkhd;
#endif
    stats.refusals = g_refusals;
    return stats;
}

}  // namespace coronet
