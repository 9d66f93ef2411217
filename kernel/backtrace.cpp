// Walks the frame chain defensively: aligned, inside a known stack range, strictly upward.
#include "kernel/backtrace.hpp"

#include <cstdio>

#include "kernel/symbols.hpp"

namespace coronet {
namespace {

constexpr size_t kMaxRanges = 8;
constexpr size_t kMaxFrames = 32;
struct Range {
    uint64_t low, high;
};
Range g_ranges[kMaxRanges];
size_t g_range_count = 0;

bool frame_readable(uint64_t fp, const StackRange* extra) {
    if (fp == 0 || (fp & 7) != 0) return false;
    if (extra && fp >= extra->low && fp + 16 <= extra->high) return true;
    for (size_t i = 0; i < g_range_count; ++i) {
        if (fp >= g_ranges[i].low && fp + 16 <= g_ranges[i].high) return true;
    }
    return false;
}

void print_frame(size_t index, uint64_t pc) {
    SymbolMatch sym = kernel_symbols().lookup(pc);
    if (sym.name) {
        printf("  #%-2zu 0x%016llx %s+0x%llx\n", index, static_cast<unsigned long long>(pc),
               sym.name, static_cast<unsigned long long>(sym.offset));
    } else {
        printf("  #%-2zu 0x%016llx ?\n", index, static_cast<unsigned long long>(pc));
    }
}

}  // namespace

void backtrace_add_stack_range(uint64_t low, uint64_t high) {
    if (g_range_count < kMaxRanges) g_ranges[g_range_count++] = {low, high};
}

size_t backtrace_collect(uint64_t fp, uint64_t* out, size_t max, const StackRange* extra) {
    size_t n = 0;
    while (n < max && frame_readable(fp, extra)) {
        const uint64_t* frame = reinterpret_cast<const uint64_t*>(fp);
        uint64_t next = frame[0];
        uint64_t ret = frame[1];
        if (ret == 0) break;
        out[n++] = ret;
        if (next <= fp) break;  // the chain must climb toward the stack's top
        fp = next;
    }
    return n;
}

void backtrace_print(uint64_t first_pc, uint64_t fp, const StackRange* extra) {
    uint64_t frames[kMaxFrames];
    size_t index = 0;
    printf("backtrace:\n");
    if (first_pc) print_frame(index++, first_pc);
    size_t n = backtrace_collect(fp, frames, kMaxFrames, extra);
    // A return address points after the call; step back one byte so the symbol is the caller's.
    for (size_t i = 0; i < n; ++i) print_frame(index++, frames[i] - 1);
}

}  // namespace coronet
