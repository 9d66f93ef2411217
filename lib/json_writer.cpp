// JsonWriter: RFC 8259 output with escaping of quotes, backslashes and control characters.
#include "lib/json_writer.hpp"

namespace coronet {

void JsonWriter::put(char c) {
    if (m_length == m_capacity) {
        m_overflow = true;
        return;
    }
    m_buffer[m_length++] = c;
}

void JsonWriter::put(std::string_view s) {
    for (char c : s) put(c);
}

void JsonWriter::separate() {
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (m_has_items[m_depth]) put(',');
    m_has_items[m_depth] = true;
}

JsonWriter& JsonWriter::open(char c) {
    separate();
    put(c);
    if (m_depth == kMaxDepth) {
        m_overflow = true;
    } else {
        m_has_items[++m_depth] = false;
    }
    return *this;
}

JsonWriter& JsonWriter::close(char c) {
    if (m_depth == 0) {
        m_overflow = true;
    } else {
        --m_depth;
        put(c);
    }
    return *this;
}

JsonWriter& JsonWriter::begin_object() { return open('{'); }
JsonWriter& JsonWriter::end_object() { return close('}'); }
JsonWriter& JsonWriter::begin_array() { return open('['); }
JsonWriter& JsonWriter::end_array() { return close(']'); }

JsonWriter& JsonWriter::key(std::string_view name) {
    value(name);
    put(':');
    m_after_key = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    separate();
    put('"');
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            put('\\');
            put(c);
        } else if (c == '\n') {
            put("\\n");
        } else if (c == '\t') {
            put("\\t");
        } else if (c == '\r') {
            put("\\r");
        } else if (u < 0x20) {
            put("\\u00");
            put(kHex[u >> 4]);
            put(kHex[u & 0xF]);
        } else {
            put(c);
        }
    }
    put('"');
    return *this;
}

JsonWriter& JsonWriter::value(uint64_t number) {
    separate();
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + number % 10);
        number /= 10;
    } while (number);
    while (n) put(digits[--n]);
    return *this;
}

JsonWriter& JsonWriter::value(int64_t number) {
    if (number >= 0) return value(static_cast<uint64_t>(number));
    separate();
    put('-');
    m_after_key = true;  // the digits continue this value: no separator
    return value(0 - static_cast<uint64_t>(number));
}

JsonWriter& JsonWriter::fixed(int64_t scaled, unsigned decimals) {
    constexpr unsigned kMostDecimals = 18;
    if (decimals > kMostDecimals) decimals = kMostDecimals;
    uint64_t unit = 1;
    for (unsigned i = 0; i < decimals; ++i) unit *= 10;
    uint64_t magnitude =
        scaled < 0 ? 0 - static_cast<uint64_t>(scaled) : static_cast<uint64_t>(scaled);
    if (scaled < 0) {
        separate();
        put('-');
        m_after_key = true;  // the digits continue this value: no separator
    }
    value(magnitude / unit);
    if (decimals == 0) return *this;
    put('.');
    uint64_t fraction = magnitude % unit;
    for (uint64_t digit = unit / 10; digit > 0; digit /= 10) {
        put(static_cast<char>('0' + fraction / digit));
        fraction %= digit;
    }
    return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
    separate();
    put(flag ? "true" : "false");
    return *this;
}

}  // namespace coronet
