// RESP encoding over Output: headers are a type byte, a decimal and CRLF.
#include "apps/redis/reply.hpp"

#include <cmath>
#include <cstdio>

namespace coronet::redis {

void Reply::put(std::string_view bytes) {
    if (m_failed) return;
    if (!m_output.append(bytes)) m_failed = true;
}

void Reply::header(char kind, uint64_t count) {
    char buffer[24];
    char* end = buffer + sizeof buffer;
    char* p = end;
    *--p = '\n';
    *--p = '\r';
    do {
        *--p = static_cast<char>('0' + count % 10);
        count /= 10;
    } while (count);
    *--p = kind;
    put({p, static_cast<size_t>(end - p)});
}

void Reply::simple(std::string_view text) {
    put("+");
    put(text);
    put("\r\n");
}

void Reply::error(std::string_view text) {
    put("-");
    put(text);
    put("\r\n");
}

void Reply::integer(int64_t value) {
    if (value < 0) {
        char buffer[24];
        int n = snprintf(buffer, sizeof buffer, ":%lld\r\n", static_cast<long long>(value));
        put({buffer, static_cast<size_t>(n)});
        return;
    }
    header(':', static_cast<uint64_t>(value));
}

void Reply::bulk(std::string_view bytes) {
    header('$', bytes.size());
    put(bytes);
    put("\r\n");
}

void Reply::null() { put(m_resp3 ? "_\r\n" : "$-1\r\n"); }

void Reply::null_array() { put(m_resp3 ? "_\r\n" : "*-1\r\n"); }

void Reply::array(size_t count) { header('*', count); }

void Reply::map(size_t pairs) {
    if (m_resp3) header('%', pairs);
    else header('*', 2 * pairs);
}

void Reply::set(size_t count) { header(m_resp3 ? '~' : '*', count); }

void Reply::push(size_t count) { header(m_resp3 ? '>' : '*', count); }

void Reply::double_value(double value) {
    char buffer[64];
    int n;
    if (std::isinf(value)) n = snprintf(buffer, sizeof buffer, "%s", value > 0 ? "inf" : "-inf");
    else n = snprintf(buffer, sizeof buffer, "%.17g", value);
    std::string_view text{buffer, static_cast<size_t>(n)};
    if (m_resp3) {
        put(",");
        put(text);
        put("\r\n");
    } else {
        bulk(text);
    }
}

void Reply::boolean(bool value) {
    if (m_resp3) put(value ? "#t\r\n" : "#f\r\n");
    else put(value ? ":1\r\n" : ":0\r\n");
}

void Reply::bulk_decimal(int64_t value) {
    char buffer[24];
    int n = snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(value));
    bulk({buffer, static_cast<size_t>(n)});
}

void Reply::verbatim(std::string_view text) {
    if (!m_resp3) {
        bulk(text);
        return;
    }
    header('=', text.size() + 4);
    put("txt:");
    put(text);
    put("\r\n");
}

void Reply::raw(std::string_view bytes) { put(bytes); }

}  // namespace coronet::redis
