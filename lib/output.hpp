// Buffered output: small pieces (a status line, headers, a Redis reply) are gathered in one
// buffer so a reply, or a whole batch of pipelined replies, leaves in one write; big pieces go
// straight to the sink. The sink is a connection's stream (or a string in tests). The buffer is
// either the caller's, or taken from a BufferPool on the first append and given back by each
// flush, so a connection with nothing to send holds no output buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/buffer_pool.hpp"
#include "lib/result.hpp"

namespace coronet {

class Sink {
public:
    virtual Result<void> write_all(const void* data, size_t length) = 0;

protected:
    ~Sink() = default;
};

class Output {
public:
    // Gathers into the caller's buffer, kept for the output's life.
    Output(Sink& sink, char* buffer, size_t capacity)
        : m_sink(sink), m_buffer(buffer), m_capacity(capacity) {}
    // Gathers into a buffer from `pool`, held only while there is something unsent.
    Output(Sink& sink, BufferPool& pool)
        : m_sink(sink), m_pool(&pool), m_capacity(pool.buffer_size()) {}
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output() { release(); }

    // Copies `bytes` into the buffer, flushing first when they do not fit; pieces at least as
    // big as the buffer are written through after a flush.
    Result<void> append(std::string_view bytes);
    Result<void> append_decimal(uint64_t value);
    Result<void> append_hex(uint64_t value);
    // Writes what is gathered; a pooled buffer goes back to its pool.
    Result<void> flush();

    size_t pending() const { return m_used; }
    size_t bytes_held() const { return m_pool && m_buffer ? m_capacity : 0; }
    uint64_t total() const { return m_total; }  // bytes appended over the output's life

private:
    void release();

    Sink& m_sink;
    BufferPool* m_pool = nullptr;
    char* m_buffer = nullptr;
    size_t m_capacity;
    size_t m_used = 0;
    uint64_t m_total = 0;
};

}  // namespace coronet
