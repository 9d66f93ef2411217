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

// Sets pages [first, last) to `used`, a word at a time; returns how many changed state.
uint64_t PageAllocator::set_range(uint64_t first, uint64_t last, bool used) {
    uint64_t changed = 0;
    while (first < last) {
        uint64_t word = first / 64;
        uint64_t lo = first % 64;
        uint64_t hi = (last - word * 64) < 64 ? last - word * 64 : 64;
        uint64_t mask = (hi == 64 ? ~0ULL : ((1ULL << hi) - 1)) & ~((1ULL << lo) - 1);
        uint64_t before = m_bitmap[word];
        uint64_t after = used ? before | mask : before & ~mask;
        changed += static_cast<uint64_t>(__builtin_popcountll(before ^ after));
        m_bitmap[word] = after;
        first = word * 64 + hi;
    }
    return changed;
}

void PageAllocator::add_free(uint64_t start, uint64_t end) {
    if (start < m_base) start = m_base;
    uint64_t limit = m_base + m_pages * kPageSize;
    if (end > limit) end = limit;
    uint64_t first = (start - m_base + kPageSize - 1) / kPageSize;
    if (end <= m_base) return;
    uint64_t last = (end - m_base) / kPageSize;
    if (first >= last) return;
    uint64_t freed = set_range(first, last, false);
    m_free += freed;
    m_managed += freed;
}

void PageAllocator::reserve(uint64_t start, uint64_t end) {
    if (end <= m_base || start >= m_base + m_pages * kPageSize) return;
    if (start < m_base) start = m_base;
    uint64_t first = (start - m_base) / kPageSize;
    uint64_t last = (end - m_base + kPageSize - 1) / kPageSize;
    if (last > m_pages) last = m_pages;
    if (first >= last) return;
    uint64_t taken = set_range(first, last, true);
    m_free -= taken;
    m_managed -= taken;
}

Result<uint64_t> PageAllocator::allocate(uint64_t count, uint64_t align_pages) {
    if (count == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) != 0)
        return Error::InvalidArgument;
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
            while (run < count) {
                uint64_t q = p + run;
                if (q % 64 == 0 && run + 64 <= count && m_bitmap[q / 64] == 0) {
                    run += 64;  // a whole free word
                } else if (!used(q)) {
                    ++run;
                } else {
                    break;
                }
            }
            if (run == count) {
                set_range(p, p + count, true);
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
    uint64_t last = first + count < m_pages ? first + count : m_pages;
    // A double free is a caller bug; counting only changed bits keeps it from inflating m_free.
    if (first < last) m_free += set_range(first, last, false);
    if (first < m_hint) m_hint = first;
}

uint64_t PageAllocator::largest_free_run() const {
    uint64_t best = 0, run = 0;
    for (uint64_t p = 0; p < m_pages;) {
        uint64_t word = m_bitmap[p / 64];
        if (p % 64 == 0 && p + 64 <= m_pages && (word == 0 || word == ~0ULL)) {
            run = word == 0 ? run + 64 : 0;  // whole word free or used
            p += 64;
        } else {
            run = used(p) ? 0 : run + 1;
            ++p;
        }
        if (run > best) best = run;
    }
    return best;
}

}  // namespace coronet
