// Ring<T, Capacity> and Ring<T> over caller slots: FIFO order across the wrap, refusal when
// full, checked pops when empty, and a run against a reference queue.
#include "lib/ring.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <vector>

using coronet::Ring;

TEST(Ring, StartsEmpty) {
    Ring<int, 4> fixed;
    EXPECT_TRUE(fixed.empty());
    EXPECT_FALSE(fixed.full());
    EXPECT_EQ(fixed.size(), 0u);
    EXPECT_EQ(fixed.capacity(), 4u);

    Ring<int> unattached;  // no slots: holds nothing, refuses everything
    EXPECT_TRUE(unattached.empty());
    EXPECT_TRUE(unattached.full());
    EXPECT_FALSE(unattached.push(1));
}

TEST(Ring, FullRefusesAndKeepsOrder) {
    Ring<int, 3> ring;
    EXPECT_TRUE(ring.push(1));
    EXPECT_TRUE(ring.push(2));
    EXPECT_TRUE(ring.push(3));
    EXPECT_TRUE(ring.full());
    EXPECT_FALSE(ring.push(4));
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.front(), 1);
    EXPECT_EQ(ring[2], 3);
    EXPECT_EQ(ring.pop(), 1);
    EXPECT_EQ(ring.pop(), 2);
    EXPECT_EQ(ring.pop(), 3);
    EXPECT_TRUE(ring.empty());
}

TEST(Ring, WrapsAroundManyTimes) {
    Ring<unsigned, 5> ring;
    unsigned next_in = 0, next_out = 0;
    // Three in, two out: the head and tail cross the end of the slots again and again, and the
    // ring fills up on the way.
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 3; ++i) {
            if (ring.push(unsigned(next_in))) ++next_in;
        }
        for (size_t i = 0; i < ring.size(); ++i) EXPECT_EQ(ring[i], next_out + i);
        for (int i = 0; i < 2 && !ring.empty(); ++i) EXPECT_EQ(ring.pop(), next_out++);
    }
    while (!ring.empty()) EXPECT_EQ(ring.pop(), next_out++);
    EXPECT_EQ(next_in, next_out);
    EXPECT_GT(next_out, 5u * 10);
}

TEST(Ring, RuntimeCapacityUsesTheCallersSlots) {
    for (size_t capacity : {1u, 2u, 7u, 128u}) {
        std::vector<int> slots(capacity, -1);
        Ring<int> ring(slots.data(), capacity);
        EXPECT_EQ(ring.capacity(), capacity);
        for (size_t i = 0; i < capacity; ++i) EXPECT_TRUE(ring.push(int(i)));
        EXPECT_TRUE(ring.full());
        EXPECT_FALSE(ring.push(-2));
        for (size_t i = 0; i < capacity; ++i) EXPECT_EQ(slots[i], int(i));  // stored in place
        EXPECT_EQ(ring.pop(), 0);
        EXPECT_TRUE(ring.push(int(capacity)));  // into slot 0 again
        EXPECT_EQ(slots[0], int(capacity));
        for (size_t i = 1; i <= capacity; ++i) EXPECT_EQ(ring.pop(), int(i));
        EXPECT_TRUE(ring.empty());
    }
}

TEST(Ring, MovesMoveOnlyValues) {
    Ring<std::unique_ptr<int>, 2> ring;
    EXPECT_TRUE(ring.push(std::make_unique<int>(7)));
    auto refused = std::make_unique<int>(9);
    EXPECT_TRUE(ring.push(std::make_unique<int>(8)));
    EXPECT_FALSE(ring.push(std::move(refused)));
    ASSERT_TRUE(refused);  // a refused push leaves the value with the caller
    EXPECT_EQ(*ring.pop(), 7);
    EXPECT_EQ(*ring.pop(), 8);
}

TEST(Ring, MatchesAReferenceQueue) {
    std::mt19937 random(11);
    std::vector<int> slots(13);
    Ring<int> ring(slots.data(), slots.size());
    std::deque<int> reference;
    for (int step = 0; step < 20000; ++step) {
        if (random() % 2) {
            bool pushed = ring.push(step);
            EXPECT_EQ(pushed, reference.size() < slots.size());
            if (pushed) reference.push_back(step);
        } else if (!reference.empty()) {
            EXPECT_EQ(ring.pop(), reference.front());
            reference.pop_front();
        }
        ASSERT_EQ(ring.size(), reference.size());
        ASSERT_EQ(ring.empty(), reference.empty());
        ASSERT_EQ(ring.full(), reference.size() == slots.size());
    }
}

TEST(RingDeathTest, PopWhenEmptyIsABrokenInvariant) {
    Ring<int, 2> ring;
    EXPECT_DEATH((void)ring.pop(), "assertion failed: !empty\\(\\)");
    EXPECT_TRUE(ring.push(1));
    EXPECT_DEATH((void)ring[1], "assertion failed: i < m_count");
}
