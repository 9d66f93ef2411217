// The argument array of one Redis command: an inline array for short commands, one heap array
// (grown by doubling) for long ones, and one scratch block for unescaped inline arguments.
#include "apps/redis/arguments.hpp"

#include <cstdlib>
#include <cstring>

#include "lib/assert.hpp"

namespace coronet::redis {

namespace {

constexpr size_t kMaxItems = SIZE_MAX / sizeof(std::string_view);

}  // namespace

Result<void> Arguments::push(std::string_view argument) {
    if (m_size == m_capacity) {
        if (m_capacity > kMaxItems / 2) return Error::OutOfMemory;
        TRY_VOID(reserve(m_capacity * 2));
    }
    m_items[m_size++] = argument;
    return {};
}

Result<void> Arguments::reserve(size_t count) {
    if (count <= m_capacity) return {};
    if (count > kMaxItems) return Error::OutOfMemory;
    size_t bytes = count * sizeof(std::string_view);
    std::string_view* grown;
    if (m_items == m_inline) {
        grown = static_cast<std::string_view*>(malloc(bytes));
        if (grown == nullptr) return Error::OutOfMemory;
        memcpy(static_cast<void*>(grown), m_inline, m_size * sizeof(std::string_view));
    } else {
        // string_view is trivially copyable: realloc may move the views as bytes.
        grown = static_cast<std::string_view*>(realloc(static_cast<void*>(m_items), bytes));
        if (grown == nullptr) return Error::OutOfMemory;
    }
    m_items = grown;
    m_capacity = count;
    return {};
}

Result<char*> Arguments::scratch(size_t bytes) {
    if (m_scratch_capacity - m_scratch_used >= bytes) {
        char* room = m_scratch + m_scratch_used;
        m_scratch_used += bytes;
        return room;
    }
    // Growing would move the block under the views already made into it.
    CORONET_ASSERT(m_scratch_used == 0 && "Arguments::scratch() cannot grow once it is in use");
    free(m_scratch);  // nothing in it is in use: no need to copy it as realloc would
    m_scratch = static_cast<char*>(malloc(bytes));
    if (m_scratch == nullptr) {
        m_scratch_capacity = 0;
        return Error::OutOfMemory;
    }
    m_scratch_capacity = m_scratch_used = bytes;
    return m_scratch;
}

void Arguments::release() {
    if (m_items != m_inline) free(static_cast<void*>(m_items));
    m_items = m_inline;
    m_capacity = kInlineCapacity;
    m_size = 0;
    free(m_scratch);
    m_scratch = nullptr;
    m_scratch_capacity = m_scratch_used = 0;
}

}  // namespace coronet::redis
