// Deadline queue: a binary min-heap of timer nodes that remember their slot, so a timer can be
// cancelled in O(log n) when its waiter is woken some other way. Ties fire in arming order.
// Pure code: host-tested.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"

namespace coronet::sched {

struct TimerNode {
    static constexpr size_t kNotQueued = ~size_t(0);
    uint64_t deadline = 0;
    uint64_t sequence = 0;
    size_t slot = kNotQueued;
    bool queued() const { return slot != kNotQueued; }
};

class TimerHeap {
public:
    TimerHeap() = default;
    ~TimerHeap();
    TimerHeap(const TimerHeap&) = delete;
    TimerHeap& operator=(const TimerHeap&) = delete;

    // Fails only when growing the heap's array fails.
    Result<void> insert(TimerNode& node, uint64_t deadline);
    void remove(TimerNode& node);
    TimerNode* earliest() const { return m_size ? m_nodes[0] : nullptr; }
    // Removes and returns the earliest node if its deadline is <= now.
    TimerNode* pop_due(uint64_t now);
    size_t size() const { return m_size; }

private:
    static bool before(const TimerNode* a, const TimerNode* b) {
        return a->deadline < b->deadline ||
               (a->deadline == b->deadline && a->sequence < b->sequence);
    }
    void place(size_t slot, TimerNode* node) {
        m_nodes[slot] = node;
        node->slot = slot;
    }
    void sift_up(size_t slot);
    void sift_down(size_t slot);

    TimerNode** m_nodes = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
    uint64_t m_next_sequence = 0;
};

}  // namespace coronet::sched
