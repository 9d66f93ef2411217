// The buffer pool: a free list threaded through the cached buffers themselves.
#include "lib/buffer_pool.hpp"

#include <cstdlib>

namespace coronet {

BufferPool::~BufferPool() {
    while (m_free) {
        FreeBuffer* next = m_free->next;
        free(m_free);
        m_free = next;
    }
}

char* BufferPool::take() {
    char* buffer;
    if (m_free) {
        buffer = reinterpret_cast<char*>(m_free);
        m_free = m_free->next;
        --m_stats.cached;
    } else {
        buffer = static_cast<char*>(
            malloc(m_buffer_size < sizeof(FreeBuffer) ? sizeof(FreeBuffer) : m_buffer_size));
        if (!buffer) {
            ++m_stats.refused;
            return nullptr;
        }
    }
    if (++m_stats.in_use > m_stats.peak_in_use) m_stats.peak_in_use = m_stats.in_use;
    return buffer;
}

void BufferPool::give(char* buffer) {
    if (!buffer) return;
    --m_stats.in_use;
    if (m_stats.cached >= m_cache_limit) {
        free(buffer);
        return;
    }
    auto* node = reinterpret_cast<FreeBuffer*>(buffer);
    node->next = m_free;
    m_free = node;
    ++m_stats.cached;
}

}  // namespace coronet
