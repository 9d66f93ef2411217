// Buffered response output: small pieces (status line, headers, small bodies) are gathered in
// one buffer so a response, or a whole batch of pipelined responses, leaves in one write; big
// pieces go straight to the sink. The sink is the connection's stream (or a string in tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/result.hpp"

namespace coronet::http {

class Sink {
public:
    virtual Result<void> write_all(const void* data, size_t length) = 0;

protected:
    ~Sink() = default;
};

class Output {
public:
    Output(Sink& sink, char* buffer, size_t capacity) : m_sink(sink), m_buffer(buffer), m_capacity(capacity) {}

    // Copies `bytes` into the buffer, flushing first when they do not fit; pieces at least as
    // big as the buffer are written through after a flush.
    Result<void> append(std::string_view bytes);
    Result<void> append_decimal(uint64_t value);
    Result<void> append_hex(uint64_t value);
    Result<void> flush();

    uint64_t total() const { return m_total; }  // bytes appended over the output's life

private:
    Sink& m_sink;
    char* m_buffer;
    size_t m_capacity;
    size_t m_used = 0;
    uint64_t m_total = 0;
};

}  // namespace coronet::http
