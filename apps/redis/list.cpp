// The list's ring buffer: doubling when full, halving once it is three quarters empty (so a
// pop right after a push, or the reverse, never reallocates), and shifting the shorter side
// when an item goes in or out of the middle.
#include "apps/redis/list.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace coronet::redis {

ListItem* ListItem::make(std::string_view value) {
    if (value.size() > UINT32_MAX) return nullptr;
    auto* item = static_cast<ListItem*>(malloc(sizeof(ListItem) + value.size()));
    if (!item) return nullptr;
    item->length = static_cast<uint32_t>(value.size());
    std::memcpy(item->bytes, value.data(), value.size());
    return item;
}

void ListItem::destroy(ListItem* item) { free(item); }

List::~List() {
    for (size_t i = 0; i < m_size; ++i) ListItem::destroy(slot(i));
    free(m_ring);
}

bool List::release_some(size_t budget) {
    for (; budget > 0 && m_size > 0; --budget) ListItem::destroy(pop_back());
    return m_size == 0;
}

Collection* List::clone() const {
    auto* copy = new (std::nothrow) List;
    if (!copy) return nullptr;
    if (!copy->reserve(m_size)) {
        delete copy;
        return nullptr;
    }
    for (size_t i = 0; i < m_size; ++i) {
        ListItem* item = ListItem::make(at(i));
        if (!item) {
            delete copy;
            return nullptr;
        }
        copy->push_back(item);  // room reserved: cannot fail
    }
    return copy;
}

bool List::resize(size_t capacity) {
    auto* ring = static_cast<ListItem**>(malloc(capacity * sizeof(ListItem*)));
    if (!ring) return false;
    for (size_t i = 0; i < m_size; ++i) ring[i] = slot(i);
    free(m_ring);
    m_ring = ring;
    m_capacity = capacity;
    m_head = 0;
    return true;
}

bool List::reserve(size_t extra) {
    if (extra > SIZE_MAX - m_size) return false;
    size_t needed = m_size + extra;
    if (needed <= m_capacity) return true;
    size_t capacity = m_capacity ? m_capacity : kMinCapacity;
    while (capacity < needed) {
        if (capacity > SIZE_MAX / 2 / sizeof(ListItem*)) return false;
        capacity *= 2;
    }
    return resize(capacity);
}

void List::shrink() {
    size_t capacity = m_capacity;
    while (capacity > kMinCapacity && m_size <= capacity / 4) capacity /= 2;
    // A failed shrink only keeps the bigger ring.
    if (capacity != m_capacity) resize(capacity);
}

bool List::push_front(ListItem* item) {
    if (!reserve(1)) return false;
    m_head = (m_head - 1) & (m_capacity - 1);
    m_ring[m_head] = item;
    ++m_size;
    return true;
}

bool List::push_back(ListItem* item) {
    if (!reserve(1)) return false;
    slot(m_size) = item;
    ++m_size;
    return true;
}

bool List::push_front(std::string_view value) {
    ListItem* item = ListItem::make(value);
    if (item && push_front(item)) return true;
    ListItem::destroy(item);
    return false;
}

bool List::push_back(std::string_view value) {
    ListItem* item = ListItem::make(value);
    if (item && push_back(item)) return true;
    ListItem::destroy(item);
    return false;
}

ListItem* List::pop_front() {
    if (m_size == 0) return nullptr;
    ListItem* item = m_ring[m_head];
    m_head = (m_head + 1) & (m_capacity - 1);
    --m_size;
    shrink();
    return item;
}

ListItem* List::pop_back() {
    if (m_size == 0) return nullptr;
    ListItem* item = slot(m_size - 1);
    --m_size;
    shrink();
    return item;
}

bool List::set(size_t index, std::string_view value) {
    ListItem* item = ListItem::make(value);
    if (!item) return false;
    ListItem::destroy(slot(index));
    slot(index) = item;
    return true;
}

bool List::insert(size_t index, std::string_view value) {
    ListItem* item = ListItem::make(value);
    if (!item || !reserve(1)) {
        ListItem::destroy(item);
        return false;
    }
    if (index < m_size / 2) {
        // Items before `index` move one slot towards the front.
        m_head = (m_head - 1) & (m_capacity - 1);
        for (size_t i = 0; i < index; ++i) slot(i) = slot(i + 1);
    } else {
        for (size_t i = m_size; i > index; --i) slot(i) = slot(i - 1);
    }
    slot(index) = item;
    ++m_size;
    return true;
}

void List::erase(size_t index) {
    ListItem::destroy(slot(index));
    if (index < m_size / 2) {
        for (size_t i = index; i > 0; --i) slot(i) = slot(i - 1);
        m_head = (m_head + 1) & (m_capacity - 1);
    } else {
        for (size_t i = index; i + 1 < m_size; ++i) slot(i) = slot(i + 1);
    }
    --m_size;
    shrink();
}

void List::trim(size_t start, size_t end) {
    if (end > m_size) end = m_size;
    if (start > end) start = end;
    for (size_t i = 0; i < start; ++i) ListItem::destroy(slot(i));
    for (size_t i = end; i < m_size; ++i) ListItem::destroy(slot(i));
    m_head = m_capacity ? (m_head + start) & (m_capacity - 1) : 0;
    m_size = end - start;
    shrink();
}

size_t List::remove(std::string_view value, size_t limit, bool from_back) {
    size_t removed = 0;
    auto matches = [&](const ListItem* item) {
        return (limit == 0 || removed < limit) && item->view() == value;
    };
    if (!from_back) {
        size_t kept = 0;
        for (size_t i = 0; i < m_size; ++i) {
            ListItem* item = slot(i);
            if (matches(item)) {
                ListItem::destroy(item);
                ++removed;
            } else {
                slot(kept++) = item;
            }
        }
    } else {
        // Kept items pack towards the back; the front then starts `removed` slots later.
        size_t kept_from = m_size;
        for (size_t i = m_size; i-- > 0;) {
            ListItem* item = slot(i);
            if (matches(item)) {
                ListItem::destroy(item);
                ++removed;
            } else {
                slot(--kept_from) = item;
            }
        }
        if (m_capacity) m_head = (m_head + kept_from) & (m_capacity - 1);
    }
    m_size -= removed;
    shrink();
    return removed;
}

}  // namespace coronet::redis
