// Physical page allocator: one bit per 4 KiB page over [base, base + pages), first fit with a
// moving hint. Pure code (host-tested); the bitmap's storage is handed in.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/align.hpp"
#include "lib/result.hpp"

namespace coronet {

class PageAllocator {
public:
    static constexpr uint64_t kPageSize = coronet::kPageSize;  // what one bit stands for

    // All pages start used; add_free() releases the usable ranges. `bitmap` holds >= pages bits.
    void init(uint64_t base, uint64_t pages, uint64_t* bitmap);
    static constexpr uint64_t bitmap_words(uint64_t pages) { return (pages + 63) / 64; }

    void add_free(uint64_t start, uint64_t end);  // page-rounded inward
    void reserve(uint64_t start, uint64_t end);   // page-rounded outward

    // `count` contiguous pages aligned to `align_pages` (a power of two).
    Result<uint64_t> allocate(uint64_t count, uint64_t align_pages = 1);
    void free(uint64_t address, uint64_t count);

    uint64_t free_pages() const { return m_free; }
    uint64_t total_pages() const { return m_managed; }
    // Largest run of free pages (slow: scans; for reports and tests).
    uint64_t largest_free_run() const;

private:
    bool used(uint64_t page) const { return (m_bitmap[page / 64] >> (page % 64)) & 1; }
    uint64_t set_range(uint64_t first, uint64_t last, bool used);

    uint64_t m_base = 0;
    uint64_t m_pages = 0;
    uint64_t* m_bitmap = nullptr;
    uint64_t m_free = 0;
    uint64_t m_managed = 0;
    uint64_t m_hint = 0;
};

}  // namespace coronet
