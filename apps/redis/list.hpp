// A Redis list: a deque of byte strings kept as a ring buffer of pointers to one-block items,
// so both ends push and pop in O(1) and any index is one step away. Every allocation may fail:
// the call then reports it and leaves the list as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/collection.hpp"

namespace coronet::redis {

// One list element: its length and bytes in a single malloc block.
struct ListItem {
    uint32_t length;
    char bytes[];

    std::string_view view() const { return {bytes, length}; }
    // A new item holding a copy of `value`, or nullptr when memory runs out.
    static ListItem* make(std::string_view value);
    static void destroy(ListItem* item);
};

class List final : public Collection {
public:
    List() = default;
    List(const List&) = delete;
    List& operator=(const List&) = delete;
    ~List() override;

    size_t size() const override { return m_size; }
    Collection* clone() const override;
    bool release_some(size_t budget) override;

    // Room for `extra` more items, so that the pushes after it cannot fail; false when the
    // ring cannot grow.
    bool reserve(size_t extra);

    // Take ownership of `item` on success; false (the caller still owns it) when the ring
    // cannot grow.
    bool push_front(ListItem* item);
    bool push_back(ListItem* item);
    // Copy `value` into a new item first.
    bool push_front(std::string_view value);
    bool push_back(std::string_view value);

    // The end item, now owned by the caller (free it with ListItem::destroy), or nullptr when
    // the list is empty.
    ListItem* pop_front();
    ListItem* pop_back();

    // Item `index` (0 is the front, below size()).
    std::string_view at(size_t index) const { return slot(index)->view(); }
    // Replaces item `index` with a copy of `value`; false when memory runs out.
    bool set(size_t index, std::string_view value);
    // Inserts a copy of `value` so that it becomes item `index` (size() appends).
    bool insert(size_t index, std::string_view value);
    // Removes and frees item `index`.
    void erase(size_t index);
    // Keeps items [start, end) and frees the others (start >= end empties the list).
    void trim(size_t start, size_t end);
    // Removes and frees up to `limit` items equal to `value` (0: all of them), counting from
    // the back when `from_back`; returns how many went. One pass, whatever the count.
    size_t remove(std::string_view value, size_t limit, bool from_back);

private:
    static constexpr size_t kMinCapacity = 4;  // a power of two, like every capacity

    ListItem*& slot(size_t index) { return m_ring[(m_head + index) & (m_capacity - 1)]; }
    ListItem* slot(size_t index) const { return m_ring[(m_head + index) & (m_capacity - 1)]; }
    // Moves the items into a ring of `capacity` slots (front at slot 0); false when it
    // cannot be allocated.
    bool resize(size_t capacity);
    // Gives memory back once the list has shrunk to a quarter of its ring (best effort).
    void shrink();

    ListItem** m_ring = nullptr;
    size_t m_capacity = 0;
    size_t m_head = 0;  // the slot of item 0
    size_t m_size = 0;
};

}  // namespace coronet::redis
