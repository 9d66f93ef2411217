// Memory: the page allocator and the heap hand out distinct, writable memory and take it back.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernel/memory/memory.hpp"
#include "lib/align.hpp"
#include "tests/kernel/ktest.hpp"

using namespace coronet;

KTEST(memory, "pages and heap: allocate, write, free, account") {
    memory::Stats before = memory::stats();
    KCHECK(before.ram_bytes >= 64ULL << 20);
    KCHECK(before.pages_free > 0);

    // Pages: distinct, aligned, writable, and all given back.
    constexpr int kBlocks = 16;
    uint64_t blocks[kBlocks];
    for (int i = 0; i < kBlocks; ++i) {
        auto r = memory::allocate_pages(4, i % 2 ? 16 : 1);
        KCHECK(r.ok());
        if (!r.ok()) return;
        blocks[i] = *r;
        KCHECK(is_aligned(blocks[i], kPageSize));
        if (i % 2) KCHECK(is_aligned(blocks[i], 16 * kPageSize));
        std::memset(reinterpret_cast<void*>(blocks[i]), 0x40 + i, 4 * kPageSize);
    }
    for (int i = 0; i < kBlocks; ++i) {
        auto* bytes = reinterpret_cast<const uint8_t*>(blocks[i]);
        KCHECK(bytes[0] == 0x40 + i && bytes[4 * kPageSize - 1] == 0x40 + i);
        for (int j = 0; j < i; ++j) KCHECK(blocks[i] != blocks[j]);
    }
    KCHECK(memory::stats().pages_free == before.pages_free - kBlocks * 4);
    for (int i = 0; i < kBlocks; ++i) memory::free_pages(blocks[i], 4);
    KCHECK(memory::stats().pages_free == before.pages_free);

    // More pages than exist: a clean error, not a crash.
    auto too_many = memory::allocate_pages(before.pages_total + 1);
    KCHECK(!too_many.ok() && too_many.error() == Error::OutOfMemory);

    // Heap: many sizes, contents intact, usage returns to where it was.
    constexpr int kAllocs = 200;
    void* pointers[kAllocs];
    for (int i = 0; i < kAllocs; ++i) {
        size_t size = 1 + (static_cast<size_t>(i) * 7919) % 20000;
        pointers[i] = malloc(size);
        KCHECK(pointers[i] != nullptr);
        if (pointers[i]) std::memset(pointers[i], i & 0xFF, size);
    }
    for (int i = 0; i < kAllocs; ++i) {
        size_t size = 1 + (static_cast<size_t>(i) * 7919) % 20000;
        auto* bytes = static_cast<uint8_t*>(pointers[i]);
        if (bytes) KCHECK(bytes[0] == (i & 0xFF) && bytes[size - 1] == (i & 0xFF));
    }
    uint64_t used_peak = memory::stats().heap_used;
    KCHECK(used_peak > before.heap_used);
    for (int i = 0; i < kAllocs; ++i) free(pointers[i]);
    KCHECK(memory::stats().heap_used == before.heap_used);

    // A large block (8 MiB) comes from the heap region.
    auto* large = static_cast<uint8_t*>(malloc(8 << 20));
    KCHECK(large != nullptr);
    if (large) {
        large[0] = 1;
        large[(8 << 20) - 1] = 2;
        free(large);
    }

    // C++ allocation: nothrow new reports exhaustion with nullptr.
    auto* object = new (std::nothrow) uint64_t[1000];
    KCHECK(object != nullptr);
    delete[] object;
    auto* impossible = new (std::nothrow) uint8_t[before.ram_bytes + (1 << 20)];
    KCHECK(impossible == nullptr);
    KCHECK(memory::stats().heap_refusals > before.heap_refusals);

    // No split at boot: the heap grows into most of the RAM when asked to.
    uint64_t most = memory::stats().pages_free * kPageSize * 3 / 4;
    auto* huge = static_cast<uint8_t*>(malloc(most));
    KCHECK(huge != nullptr);
    if (huge) {
        huge[0] = 1;
        huge[most - 1] = 2;
        KCHECK(memory::stats().heap_bytes >= most);
        free(huge);
    }
    printf("ktest: heap %llu MiB, peak use in test %llu KiB, %llu pages free\n",
           static_cast<unsigned long long>(before.heap_bytes >> 20),
           static_cast<unsigned long long>(used_peak >> 10),
           static_cast<unsigned long long>(memory::stats().pages_free));
}
