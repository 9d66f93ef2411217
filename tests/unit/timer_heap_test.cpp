// TimerHeap: earliest first, ties in arming order, cancellation from anywhere in the heap.
#include "kernel/sched/timer_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using coronet::sched::TimerHeap;
using coronet::sched::TimerNode;

TEST(TimerHeap, PopsInDeadlineOrderWithTiesInArmingOrder) {
    TimerHeap heap;
    std::vector<TimerNode> nodes(6);
    const uint64_t deadlines[] = {50, 10, 30, 10, 40, 30};
    for (size_t i = 0; i < nodes.size(); ++i) ASSERT_TRUE(heap.insert(nodes[i], deadlines[i]).ok());
    std::vector<size_t> order;
    while (TimerNode* n = heap.pop_due(100)) order.push_back(static_cast<size_t>(n - nodes.data()));
    EXPECT_EQ(order, (std::vector<size_t>{1, 3, 2, 5, 4, 0}));
    EXPECT_EQ(heap.size(), 0u);
}

TEST(TimerHeap, OnlyDueTimersPop) {
    TimerHeap heap;
    TimerNode a, b;
    ASSERT_TRUE(heap.insert(a, 100).ok());
    ASSERT_TRUE(heap.insert(b, 200).ok());
    EXPECT_EQ(heap.pop_due(99), nullptr);
    EXPECT_EQ(heap.pop_due(150), &a);
    EXPECT_EQ(heap.earliest(), &b);
    EXPECT_FALSE(a.queued());
}

TEST(TimerHeap, RandomInsertsAndCancellationsKeepTheOrder) {
    TimerHeap heap;
    std::mt19937_64 random(42);
    std::vector<TimerNode> nodes(2000);
    for (auto& n : nodes) ASSERT_TRUE(heap.insert(n, random() % 1000).ok());
    for (size_t i = 0; i < nodes.size(); i += 3) heap.remove(nodes[i]);
    for (size_t i = 0; i < nodes.size(); i += 7)
        ASSERT_TRUE(heap.insert(nodes[i], random() % 1000).ok());  // re-arm
    uint64_t last = 0;
    size_t popped = 0;
    while (TimerNode* n = heap.pop_due(~0ULL)) {
        EXPECT_GE(n->deadline, last);
        last = n->deadline;
        ++popped;
    }
    size_t expected = 0;
    for (size_t i = 0; i < nodes.size(); ++i) expected += (i % 3 != 0 || i % 7 == 0) ? 1 : 0;
    EXPECT_EQ(popped, expected);
}

TEST(TimerHeap, RemovingAnUnqueuedNodeIsHarmless) {
    TimerHeap heap;
    TimerNode a;
    heap.remove(a);
    ASSERT_TRUE(heap.insert(a, 5).ok());
    heap.remove(a);
    heap.remove(a);
    EXPECT_EQ(heap.size(), 0u);
}
