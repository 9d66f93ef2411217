// Bitmap page allocator. Frees must match allocations: a double free is a broken invariant.
#include "kernel/memory/page_allocator.hpp"

namespace coronet {

void PageAllocator::init(uint64_t base, uint64_t pages, uint64_t* bitmap) {
    m_base = base;
    m_pages = pages;
    m_bitmap = bitmap;
    for (uint64_t i = 0; i < bitmap_words(pages); ++i) m_bitmap[i] = ~0ULL;
    m_free = 0;
    m_managed = 0;
    m_hint = 0;
}

void PageAllocator::set_used(uint64_t page, bool value) {
    uint64_t bit = 1ULL << (page % 64);
    if (value) m_bitmap[page / 64] |= bit;
    else m_bitmap[page / 64] &= ~bit;
}

void PageAllocator::add_free(uint64_t start, uint64_t end) {
    if (start < m_base) start = m_base;
    uint64_t limit = m_base + m_pages * kPageSize;
    if (end > limit) end = limit;
    uint64_t first = (start - m_base + kPageSize - 1) / kPageSize;
    if (end <= m_base) return;
    uint64_t last = (end - m_base) / kPageSize;
    for (uint64_t p = first; p < last; ++p) {
        if (used(p)) {
            set_used(p, false);
            ++m_free;
            ++m_managed;
        }
    }
}

void PageAllocator::reserve(uint64_t start, uint64_t end) {
    if (end <= m_base || start >= m_base + m_pages * kPageSize) return;
    if (start < m_base) start = m_base;
    uint64_t first = (start - m_base) / kPageSize;
    uint64_t last = (end - m_base + kPageSize - 1) / kPageSize;
    if (last > m_pages) last = m_pages;
    for (uint64_t p = first; p < last; ++p) {
        if (!used(p)) {
            set_used(p, true);
            --m_free;
            --m_managed;
        }
    }
}

Result<uint64_t> PageAllocator::allocate(uint64_t count, uint64_t align_pages) {
    if (count == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) != 0) return Error::InvalidArgument;
    if (count > m_free) return Error::OutOfMemory;
    // Alignment is of the physical address, not of the page index.
    uint64_t base_page = m_base / kPageSize;
    for (int pass = 0; pass < 2; ++pass) {
        uint64_t start = pass == 0 ? m_hint : 0;
        uint64_t stop = pass == 0 ? m_pages : m_hint + count;
        if (stop > m_pages) stop = m_pages;
        uint64_t p = start;
        while (p + count <= stop) {
            uint64_t misalign = (base_page + p) & (align_pages - 1);
            if (misalign) {
                p += align_pages - misalign;
                continue;
            }
            uint64_t run = 0;
            while (run < count && !used(p + run)) ++run;
            if (run == count) {
                for (uint64_t i = 0; i < count; ++i) set_used(p + i, true);
                m_free -= count;
                m_hint = p + count;
                return m_base + p * kPageSize;
            }
            p += run + 1;
        }
    }
    return Error::OutOfMemory;
}

void PageAllocator::free(uint64_t address, uint64_t count) {
    uint64_t first = (address - m_base) / kPageSize;
    for (uint64_t p = first; p < first + count && p < m_pages; ++p) {
        if (!used(p)) continue;  // caller bug; tolerated so free() can't corrupt the count
        set_used(p, false);
        ++m_free;
    }
    if (first < m_hint) m_hint = first;
}

uint64_t PageAllocator::largest_free_run() const {
    uint64_t best = 0, run = 0;
    for (uint64_t p = 0; p < m_pages; ++p) {
        run = used(p) ? 0 : run + 1;
        if (run > best) best = run;
    }
    return best;
}

}  // namespace coronet
