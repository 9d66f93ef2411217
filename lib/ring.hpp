// Ring<T, Capacity>: a bounded FIFO of T. With a compile-time Capacity the slots live inside
// the ring; Ring<T> (kRuntimeCapacity) runs over slots the caller allocates and sizes at run
// time. Either way it never allocates, and a full ring refuses a push instead of growing.
#pragma once

#include <cstddef>
#include <utility>

#include "lib/assert.hpp"

namespace coronet {

inline constexpr size_t kRuntimeCapacity = 0;

namespace detail {

// Where a ring's slots are: an array member, or the caller's memory.
template <typename T, size_t Capacity>
struct RingSlots {
    T items[Capacity] = {};
    T* data() { return items; }
    const T* data() const { return items; }
    static constexpr size_t capacity() { return Capacity; }
};

template <typename T>
struct RingSlots<T, kRuntimeCapacity> {
    T* items = nullptr;
    size_t size = 0;
    T* data() { return items; }
    const T* data() const { return items; }
    size_t capacity() const { return size; }
};

}  // namespace detail

template <typename T, size_t Capacity = kRuntimeCapacity>
class Ring {
public:
    Ring() = default;

    // Run-time capacity: `slots` (constructed T, `capacity` of them) outlives the ring.
    Ring(T* slots, size_t capacity) requires(Capacity == kRuntimeCapacity)
        : m_slots{slots, capacity} {}

    size_t size() const { return m_count; }
    size_t capacity() const { return m_slots.capacity(); }
    bool empty() const { return m_count == 0; }
    bool full() const { return m_count == capacity(); }

    // Appends at the tail; false (and `value` untouched) when full.
    bool push(T&& value) {
        if (full()) return false;
        m_slots.data()[wrap(m_head + m_count)] = std::move(value);
        ++m_count;
        return true;
    }
    bool push(const T& value) {
        T copy(value);
        return push(std::move(copy));
    }

    // Removes the oldest value; the ring must not be empty.
    T pop() {
        CORONET_ASSERT(!empty());
        T value = std::move(m_slots.data()[m_head]);
        m_head = wrap(m_head + 1);
        --m_count;
        return value;
    }

    // The i-th oldest value (0 is the next pop()).
    T& operator[](size_t i) {
        CORONET_ASSERT(i < m_count);
        return m_slots.data()[wrap(m_head + i)];
    }
    const T& operator[](size_t i) const {
        CORONET_ASSERT(i < m_count);
        return m_slots.data()[wrap(m_head + i)];
    }
    T& front() { return (*this)[0]; }
    const T& front() const { return (*this)[0]; }

private:
    // Indexes stay below 2 * capacity, so one subtraction wraps them (no division, and any
    // capacity works, not only powers of two).
    size_t wrap(size_t index) const { return index >= capacity() ? index - capacity() : index; }

    detail::RingSlots<T, Capacity> m_slots;
    size_t m_head = 0;
    size_t m_count = 0;
};

}  // namespace coronet
