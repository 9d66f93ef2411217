// Intrusive doubly-linked list: nodes live inside the objects (no allocation to queue).
#pragma once

#include <cstddef>

namespace coronet::sched {

struct ListNode {
    ListNode* prev = nullptr;
    ListNode* next = nullptr;
    bool linked() const { return next != nullptr; }
};

// A list of T, each linked through its member `Node`.
template <typename T, ListNode T::*Node>
class IntrusiveList {
public:
    IntrusiveList() { m_head.prev = m_head.next = &m_head; }
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool empty() const { return m_head.next == &m_head; }
    size_t size() const { return m_size; }

    void push_back(T& item) {
        ListNode& node = item.*Node;
        node.prev = m_head.prev;
        node.next = &m_head;
        m_head.prev->next = &node;
        m_head.prev = &node;
        ++m_size;
    }

    T* front() { return empty() ? nullptr : owner(m_head.next); }

    T* pop_front() {
        if (empty()) return nullptr;
        T* item = owner(m_head.next);
        remove(*item);
        return item;
    }

    T* pop_back() {
        if (empty()) return nullptr;
        T* item = owner(m_head.prev);
        remove(*item);
        return item;
    }

    // Calls f(item) for each item, in order; f may remove the item it was given (no other).
    template <typename F>
    void for_each(F&& f) {
        for (ListNode* node = m_head.next; node != &m_head;) {
            ListNode* next = node->next;
            f(*owner(node));
            node = next;
        }
    }

    void remove(T& item) {
        ListNode& node = item.*Node;
        node.prev->next = node.next;
        node.next->prev = node.prev;
        node.prev = node.next = nullptr;
        --m_size;
    }

private:
    static T* owner(ListNode* node) {
        // Offset of the member node within T, computed without a T instance.
        const auto offset = reinterpret_cast<size_t>(&(static_cast<T*>(nullptr)->*Node));
        return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
    }

    ListNode m_head;
    size_t m_size = 0;
};

}  // namespace coronet::sched
