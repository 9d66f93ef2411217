// Frame-chain walking over hand-built frames: stops on bad, descending or foreign pointers.
#include "kernel/backtrace.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace {
alignas(16) uint64_t g_stack[64];
uint64_t addr(int slot) { return reinterpret_cast<uint64_t>(&g_stack[slot]); }

// The fake stack is the only memory a frame pointer may point into.
class Backtrace : public ::testing::Test {
protected:
    static void SetUpTestSuite() { coronet::backtrace_add_stack_range(addr(0), addr(64)); }
};
}  // namespace

TEST_F(Backtrace, WalksAChainAndStopsAtZero) {
    // Frames at slots 4 -> 10 -> 20, each {previous fp, return address}.
    g_stack[4] = addr(10);
    g_stack[5] = 0x1111;
    g_stack[10] = addr(20);
    g_stack[11] = 0x2222;
    g_stack[20] = 0;
    g_stack[21] = 0x3333;
    uint64_t out[8];
    ASSERT_EQ(coronet::backtrace_collect(addr(4), out, 8), 3u);
    EXPECT_EQ(out[0], 0x1111u);
    EXPECT_EQ(out[1], 0x2222u);
    EXPECT_EQ(out[2], 0x3333u);
}

TEST_F(Backtrace, RefusesLoopsMisalignmentAndUnknownMemory) {
    g_stack[30] = addr(30);  // points at itself
    g_stack[31] = 0x4444;
    uint64_t out[8];
    EXPECT_EQ(coronet::backtrace_collect(addr(30), out, 8), 1u);
    EXPECT_EQ(coronet::backtrace_collect(addr(30) + 4, out, 8), 0u);
    uint64_t outside[2] = {0, 0x5555};
    EXPECT_EQ(coronet::backtrace_collect(reinterpret_cast<uint64_t>(outside), out, 8), 0u);
    EXPECT_EQ(coronet::backtrace_collect(0, out, 8), 0u);
}

TEST_F(Backtrace, RespectsTheOutputLimit) {
    for (int i = 40; i < 60; i += 2) {
        g_stack[i] = addr(i + 2);
        g_stack[i + 1] = 0x6000 + i;
    }
    g_stack[60] = 0;
    g_stack[61] = 0;
    uint64_t out[4];
    EXPECT_EQ(coronet::backtrace_collect(addr(40), out, 4), 4u);
}
