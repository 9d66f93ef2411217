// PageAllocator over a simulated memory map (addresses only; no memory is touched but the bitmap).
#include "kernel/memory/page_allocator.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

using coronet::Error;
using coronet::PageAllocator;

namespace {
constexpr uint64_t kPage = PageAllocator::kPageSize;

struct Fixture {
    std::vector<uint64_t> bitmap;
    PageAllocator pages;
    Fixture(uint64_t base, uint64_t count) : bitmap(PageAllocator::bitmap_words(count)) {
        pages.init(base, count, bitmap.data());
    }
};
}  // namespace

TEST(PageAllocator, StartsFullyUsedUntilRangesAreFreed) {
    Fixture f(0x100000, 256);
    EXPECT_EQ(f.pages.free_pages(), 0u);
    EXPECT_EQ(f.pages.allocate(1).error(), Error::OutOfMemory);
    f.pages.add_free(0x100000, 0x100000 + 256 * kPage);
    EXPECT_EQ(f.pages.free_pages(), 256u);
}

TEST(PageAllocator, RoundsFreeRangesInwardAndReservationsOutward) {
    Fixture f(0, 100);
    f.pages.add_free(100, 10 * kPage + 5);  // pages 1..9 fully inside
    EXPECT_EQ(f.pages.free_pages(), 9u);
    f.pages.reserve(3 * kPage + 1, 4 * kPage + 1);  // touches pages 3 and 4
    EXPECT_EQ(f.pages.free_pages(), 7u);
}

TEST(PageAllocator, AllocationsAreDistinctAlignedAndReturned) {
    Fixture f(0x40000000, 1024);
    f.pages.add_free(0x40000000, 0x40000000 + 1024 * kPage);
    std::set<uint64_t> seen;
    std::vector<uint64_t> blocks;
    for (int i = 0; i < 50; ++i) {
        auto r = f.pages.allocate(3, 4);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(*r % (4 * kPage), 0u);
        for (uint64_t p = 0; p < 3; ++p) EXPECT_TRUE(seen.insert(*r + p * kPage).second);
        blocks.push_back(*r);
    }
    EXPECT_EQ(f.pages.free_pages(), 1024u - 150u);
    for (uint64_t b : blocks) f.pages.free(b, 3);
    EXPECT_EQ(f.pages.free_pages(), 1024u);
    EXPECT_EQ(f.pages.largest_free_run(), 1024u);
}

TEST(PageAllocator, AlignmentIsOfThePhysicalAddress) {
    Fixture f(0x1000, 64);  // base not 16-page aligned
    f.pages.add_free(0x1000, 0x1000 + 64 * kPage);
    auto r = f.pages.allocate(1, 16);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r % (16 * kPage), 0u);
}

TEST(PageAllocator, FindsRunsAcrossHolesAndReportsExhaustion) {
    Fixture f(0, 32);
    f.pages.add_free(0, 32 * kPage);
    f.pages.reserve(8 * kPage, 9 * kPage);
    f.pages.reserve(20 * kPage, 21 * kPage);
    auto big = f.pages.allocate(11);  // only 9..19 fits
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(*big, 9 * kPage);
    EXPECT_EQ(f.pages.allocate(12).error(), Error::OutOfMemory);
    EXPECT_EQ(f.pages.allocate(0).error(), Error::InvalidArgument);
    EXPECT_EQ(f.pages.allocate(1, 3).error(), Error::InvalidArgument);
}

TEST(PageAllocator, HintWrapsAroundToFreedPages) {
    Fixture f(0, 16);
    f.pages.add_free(0, 16 * kPage);
    auto a = f.pages.allocate(8);
    auto b = f.pages.allocate(8);
    ASSERT_TRUE(a.ok() && b.ok());
    f.pages.free(*a, 8);
    auto c = f.pages.allocate(8);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, *a);
}

TEST(PageAllocator, DoubleFreeDoesNotInflateTheCount) {
    Fixture f(0, 8);
    f.pages.add_free(0, 8 * kPage);
    auto a = f.pages.allocate(2);
    ASSERT_TRUE(a.ok());
    f.pages.free(*a, 2);
    f.pages.free(*a, 2);
    EXPECT_EQ(f.pages.free_pages(), 8u);
}

TEST(PageAllocator, RangesAcrossBitmapWordsCountExactly) {
    Fixture f(0, 1000);
    f.pages.add_free(0, 1000 * kPage);
    f.pages.reserve(63 * kPage, 130 * kPage);  // straddles three bitmap words
    EXPECT_EQ(f.pages.free_pages(), 1000u - 67u);
    f.pages.reserve(100 * kPage, 200 * kPage);  // overlaps: only the new pages count
    EXPECT_EQ(f.pages.free_pages(), 1000u - 137u);
    auto r = f.pages.allocate(63);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 0u);
    auto s = f.pages.allocate(70);  // the next run long enough starts after the reservations
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, 200 * kPage);
    f.pages.free(*s, 70);
    f.pages.free(*r, 63);
    EXPECT_EQ(f.pages.free_pages(), 1000u - 137u);
    EXPECT_EQ(f.pages.largest_free_run(), 800u);
}
