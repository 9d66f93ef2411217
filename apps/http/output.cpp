// Output buffering over a Sink.
#include "apps/http/output.hpp"

#include <cstring>

namespace coronet::http {

Result<void> Output::append(std::string_view bytes) {
    m_total += bytes.size();
    if (bytes.size() > m_capacity - m_used) {
        TRY_VOID(flush());
        if (bytes.size() >= m_capacity) return m_sink.write_all(bytes.data(), bytes.size());
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
    if (m_used == 0) return {};
    size_t used = m_used;
    m_used = 0;  // a failed write leaves nothing half-sent behind in the buffer
    return m_sink.write_all(m_buffer, used);
}

}  // namespace coronet::http
