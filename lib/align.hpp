// The page size and power-of-two alignment arithmetic, defined once for every layer. The page
// size is also a plain macro so assembly (stack guards in entry.S) can use the same value.
#pragma once

// 4 KiB: the page both arches map (x86-64 small pages, the AArch64 4 KiB translation granule).
#define CORONET_PAGE_SIZE 4096

#ifndef __ASSEMBLER__

#include <cstdint>

namespace coronet {

inline constexpr uint64_t kPageSize = CORONET_PAGE_SIZE;

// `alignment` must be a power of two.
constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}
constexpr uint64_t align_down(uint64_t value, uint64_t alignment) {
    return value & ~(alignment - 1);
}
constexpr bool is_aligned(uint64_t value, uint64_t alignment) {
    return (value & (alignment - 1)) == 0;
}
// Whole pages needed to hold `bytes`.
constexpr uint64_t pages_for(uint64_t bytes) { return align_up(bytes, kPageSize) / kPageSize; }

static_assert(align_up(4097, kPageSize) == 2 * kPageSize);
static_assert(align_up(kPageSize, kPageSize) == kPageSize);
static_assert(align_down(8191, kPageSize) == kPageSize && pages_for(1) == 1 && pages_for(0) == 0);

}  // namespace coronet

#endif
