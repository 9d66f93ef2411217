// Binary heap with back-pointers; the array doubles as needed (malloc: no exceptions).
#include "kernel/sched/timer_heap.hpp"

#include <cstdlib>

namespace coronet::sched {

TimerHeap::~TimerHeap() { free(m_nodes); }

Result<void> TimerHeap::insert(TimerNode& node, uint64_t deadline) {
    if (node.queued()) remove(node);
    if (m_size == m_capacity) {
        size_t capacity = m_capacity ? m_capacity * 2 : 64;
        auto* grown = static_cast<TimerNode**>(realloc(m_nodes, capacity * sizeof(TimerNode*)));
        if (!grown) return Error::OutOfMemory;
        m_nodes = grown;
        m_capacity = capacity;
    }
    node.deadline = deadline;
    node.sequence = m_next_sequence++;
    place(m_size, &node);
    ++m_size;
    sift_up(node.slot);
    return {};
}

void TimerHeap::remove(TimerNode& node) {
    if (!node.queued()) return;
    size_t slot = node.slot;
    node.slot = TimerNode::kNotQueued;
    --m_size;
    if (slot == m_size) return;
    TimerNode* moved = m_nodes[m_size];
    place(slot, moved);
    sift_up(slot);
    sift_down(moved->slot);
}

TimerNode* TimerHeap::pop_due(uint64_t now) {
    if (m_size == 0 || m_nodes[0]->deadline > now) return nullptr;
    TimerNode* node = m_nodes[0];
    remove(*node);
    return node;
}

void TimerHeap::sift_up(size_t slot) {
    TimerNode* node = m_nodes[slot];
    while (slot > 0) {
        size_t parent = (slot - 1) / 2;
        if (!before(node, m_nodes[parent])) break;
        place(slot, m_nodes[parent]);
        slot = parent;
    }
    place(slot, node);
}

void TimerHeap::sift_down(size_t slot) {
    TimerNode* node = m_nodes[slot];
    for (;;) {
        size_t child = slot * 2 + 1;
        if (child >= m_size) break;
        if (child + 1 < m_size && before(m_nodes[child + 1], m_nodes[child])) ++child;
        if (!before(m_nodes[child], node)) break;
        place(slot, m_nodes[child]);
        slot = child;
    }
    place(slot, node);
}

}  // namespace coronet::sched
