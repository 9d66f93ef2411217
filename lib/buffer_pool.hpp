// BufferPool: equal-sized buffers handed out and taken back, with a bounded cache of returned
// ones so a connection can give its buffers back every time it goes idle and take them again
// for its next request without a trip through malloc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet {

class BufferPool {
public:
    // `cache_limit` returned buffers are kept for reuse; beyond that they are freed.
    BufferPool(size_t buffer_size, size_t cache_limit)
        : m_buffer_size(buffer_size), m_cache_limit(cache_limit) {}
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;
    ~BufferPool();

    size_t buffer_size() const { return m_buffer_size; }

    // A buffer of buffer_size() bytes, or nullptr when memory is exhausted.
    char* take();
    // Gives back a buffer from take().
    void give(char* buffer);

    struct Stats {
        uint64_t in_use;  // taken and not given back
        uint64_t cached;  // given back, kept for the next take
        uint64_t peak_in_use;
        uint64_t refused;  // takes that found no memory
    };
    Stats stats() const { return m_stats; }

private:
    struct FreeBuffer {
        FreeBuffer* next;
    };

    size_t m_buffer_size;
    size_t m_cache_limit;
    FreeBuffer* m_free = nullptr;
    Stats m_stats{};
};

}  // namespace coronet
