// A bounded channel of T between coroutines: send blocks while full, receive while empty,
// both with deadlines; close() wakes everyone and makes further sends fail. Values already
// queued can still be received after close.
#pragma once

#include <cstddef>
#include <utility>

#include "kernel/sched/wait_queue.hpp"
#include "lib/ring.hpp"

namespace coronet::sched {

template <typename T, size_t Capacity>
class Channel {
    static_assert(Capacity > 0, "a channel needs room for at least one value");

public:
    Result<void> send(T value, Deadline deadline = kForever) {
        while (m_items.full() && !m_closed) {
            auto waited = m_not_full.wait(deadline);
            if (!waited && m_items.full()) return waited.error();
        }
        if (m_closed) return Error::Closed;
        m_items.push(std::move(value));  // not full: checked above
        m_not_empty.notify_one();
        return {};
    }

    bool try_send(T value) {
        if (m_closed || !m_items.push(std::move(value))) return false;
        m_not_empty.notify_one();
        return true;
    }

    Result<T> receive(Deadline deadline = kForever) {
        while (m_items.empty()) {
            if (m_closed) return Error::Closed;
            auto waited = m_not_empty.wait(deadline);
            if (!waited && m_items.empty()) return waited.error();
        }
        T value = m_items.pop();
        m_not_full.notify_one();
        return value;
    }

    void close() {
        m_closed = true;
        m_not_full.notify_all();
        m_not_empty.notify_all();
    }

    bool closed() const { return m_closed; }
    size_t size() const { return m_items.size(); }
    static constexpr size_t capacity() { return Capacity; }

private:
    Ring<T, Capacity> m_items;
    bool m_closed = false;
    WaitQueue m_not_full;
    WaitQueue m_not_empty;
};

}  // namespace coronet::sched
