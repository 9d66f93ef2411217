// Output buffering over a Sink.
#include "lib/output.hpp"

#include <cstring>

namespace coronet {

Result<void> Output::append(std::string_view bytes) {
    m_total += bytes.size();
    if (bytes.size() > m_capacity - m_used) {
        TRY_VOID(flush());
        if (bytes.size() >= m_capacity) return m_sink.write_all(bytes.data(), bytes.size());
    }
    if (!m_buffer) {
        m_buffer = m_pool->take();
        if (!m_buffer) return Error::OutOfMemory;
    }
    std::memcpy(m_buffer + m_used, bytes.data(), bytes.size());
    m_used += bytes.size();
    return {};
}

Result<void> Output::append_decimal(uint64_t value) {
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value);
    return append({digits + sizeof digits - n, n});
}

Result<void> Output::append_hex(uint64_t value) {
    static constexpr char kHex[] = "0123456789abcdef";
    char digits[16];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = kHex[value & 0xF];
        value >>= 4;
    } while (value);
    return append({digits + sizeof digits - n, n});
}

Result<void> Output::flush() {
    if (m_used == 0) {
        release();
        return {};
    }
    size_t used = m_used;
    m_used = 0;  // a failed write leaves nothing half-sent behind in the buffer
    auto written = m_sink.write_all(m_buffer, used);
    release();
    return written;
}

void Output::release() {
    if (!m_pool || !m_buffer) return;
    m_pool->give(m_buffer);
    m_buffer = nullptr;
    m_used = 0;
}

}  // namespace coronet
