// Slots, classes and the missing-page resolver of the stack window. All bookkeeping lives in
// identity-mapped memory (kernel data and the heap), so the resolver never faults itself.
#include "kernel/memory/stack_space.hpp"

#include <cstdlib>

#include "arch/mmu.hpp"
#include "kernel/memory/memory.hpp"
#include "lib/align.hpp"

namespace coronet::memory {
namespace {

constexpr uint64_t kClassSpan = kStackWindowSize / kStackSizeClasses;

// One size of stack: slot k is [base + k * stride, + stride), its guard first.
struct SizeClass {
    uint64_t size = 0;  // usable bytes per stack; 0: the class is unused
    uint64_t stride = 0;
    uint64_t slots = 0;        // slots ever handed out (the class's bump pointer)
    uint32_t* free = nullptr;  // indices of released slots, reused first
    uint64_t free_count = 0;
    uint64_t free_capacity = 0;
};

SizeClass g_classes[kStackSizeClasses];
StackSpaceStats g_stats{};

uint64_t class_base(unsigned index) { return kStackWindowBase + index * kClassSpan; }

// Page tables for the window: zeroed pages, 0 when none is left.
uint64_t table_page() {
    uint64_t page = allocate_zeroed_page_or_zero();
    if (page) ++g_stats.table_pages;
    return page;
}

void give_back_table(uint64_t page) {
    free_pages(page, 1);
    --g_stats.table_pages;
}

bool back_page(uint64_t va) {
    if (!back_window_page(va, table_page)) return false;
    ++g_stats.pages_mapped;
    return true;
}

void unback_pages(uint64_t start, uint64_t end) {
    g_stats.pages_mapped -= unback_window_range(start, end);
}

Result<unsigned> class_for(uint64_t size) {
    for (unsigned i = 0; i < kStackSizeClasses; ++i) {
        if (g_classes[i].size == size) return i;
    }
    for (unsigned i = 0; i < kStackSizeClasses; ++i) {
        if (g_classes[i].size == 0) {
            g_classes[i].size = size;
            g_classes[i].stride = size + kStackGuardBytes;
            return i;
        }
    }
    return Error::InvalidArgument;
}

// Where `address` falls: its class and slot, and whether it is in the slot's guard.
struct Place {
    bool in_slot;
    bool in_guard;
};

Place locate(uint64_t address) {
    if (address < kStackWindowBase || address - kStackWindowBase >= kStackWindowSize)
        return {false, false};
    uint64_t offset = address - kStackWindowBase;
    const SizeClass& c = g_classes[offset / kClassSpan];
    if (c.size == 0) return {false, false};
    uint64_t in_class = offset % kClassSpan;
    if (in_class / c.stride >= c.slots) return {false, false};
    return {true, in_class % c.stride < kStackGuardBytes};
}

}  // namespace

Result<VirtualStack> reserve_stack(uint64_t size) {
    if (size == 0) return Error::InvalidArgument;
    size = align_up(size, kPageSize);
    ready_stack_for_edits();
    unsigned index = TRY(class_for(size));
    SizeClass& c = g_classes[index];
    bool fresh = c.free_count == 0;
    if (fresh && (c.slots + 1) * c.stride > kClassSpan) return Error::OutOfMemory;
    uint64_t slot = fresh ? c.slots : c.free[--c.free_count];
    VirtualStack stack{class_base(index) + slot * c.stride + kStackGuardBytes, size,
                       kStackGuardBytes};
    // A fresh slot counts before its top page is backed: the resolver must see it as reserved.
    if (fresh) ++c.slots;
    if (!back_page(stack.top() - kPageSize)) {
        if (fresh) {
            --c.slots;
        } else {
            ++c.free_count;  // still in its place in the array
        }
        return Error::OutOfMemory;
    }
    if (fresh) g_stats.virtual_bytes += c.stride;
    ++g_stats.stacks;
    return stack;
}

void trim_stack(const VirtualStack& stack, uint64_t keep_bytes) {
    ready_stack_for_edits();
    uint64_t keep = align_up(keep_bytes, kPageSize);
    if (keep < stack.size) unback_pages(stack.base, stack.top() - keep);
}

void release_stack(const VirtualStack& stack) {
    ready_stack_for_edits();
    unback_pages(stack.base, stack.top());
    // Page tables left empty go too: after a burst of connections, memory returns to where
    // it was (a table covers 2 MiB of window, a few dozen stacks).
    arch::mmu::release_empty_tables(stack.base, stack.top(), give_back_table);
    uint64_t offset = stack.base - kStackGuardBytes - kStackWindowBase;
    SizeClass& c = g_classes[offset / kClassSpan];
    if (c.free_count == c.free_capacity) {
        uint64_t capacity = c.free_capacity ? c.free_capacity * 2 : 256;
        auto* grown = static_cast<uint32_t*>(realloc(c.free, capacity * sizeof(uint32_t)));
        // No room to remember the slot: its window space is lost, its RAM is not.
        if (!grown) {
            --g_stats.stacks;
            return;
        }
        c.free = grown;
        c.free_capacity = capacity;
    }
    c.free[c.free_count++] = static_cast<uint32_t>((offset % kClassSpan) / c.stride);
    --g_stats.stacks;
}

uint64_t stack_pages_mapped(const VirtualStack& stack) {
    uint64_t pages = 0;
    for (uint64_t va = stack.base; va < stack.top(); va += kPageSize)
        pages += arch::mmu::is_mapped(va) ? 1 : 0;
    return pages;
}

bool map_missing_stack_page(uint64_t address) {
    Place place = locate(address);
    if (!place.in_slot || place.in_guard) return false;
    FaultScope scope;
    uint64_t page = align_down(address, kPageSize);
    if (arch::mmu::is_mapped(page)) return true;  // a stale translation fault: retry
    if (!back_page(page)) {
        ++g_stats.refused_pages;
        return false;
    }
    ++g_stats.page_faults;
    return true;
}

StackFault classify_stack_fault(uint64_t address) {
    Place place = locate(address);
    if (!place.in_slot) return StackFault::NotAStack;
    return place.in_guard ? StackFault::Guard : StackFault::NoMemory;
}

StackSpaceStats stack_space_stats() { return g_stats; }

}  // namespace coronet::memory
