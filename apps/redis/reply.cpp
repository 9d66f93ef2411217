// RESP encoding into a growable buffer: headers are a type byte, a decimal and CRLF.
#include "apps/redis/reply.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/redis/numbers.hpp"

namespace coronet::redis {

namespace {

constexpr size_t kInitialCapacity = 4 * 1024;
// A buffer grown past this by a big reply is freed once written, not kept.
constexpr size_t kKeptCapacity = 64 * 1024;

}  // namespace

void Reply::put(std::string_view bytes) {
    if (m_failed || bytes.empty()) return;
    size_t needed = m_length + bytes.size();
    if (needed > m_capacity) {
        size_t capacity = m_capacity ? m_capacity : kInitialCapacity;
        while (capacity < needed) capacity *= 2;
        auto* grown = static_cast<char*>(realloc(m_data, capacity));
        if (!grown) {
            // No memory for the reply: the client cannot be answered correctly any more.
            m_failed = true;
            return;
        }
        m_data = grown;
        m_capacity = capacity;
    }
    std::memcpy(m_data + m_length, bytes.data(), bytes.size());
    m_length = needed;
}

void Reply::flush() {
    if (m_length == 0 || m_failed) return;
    // The bytes are taken out first: while the write waits for the client, a blocking
    // command's server (another coroutine) may append this client's next reply.
    char* data = m_data;
    size_t length = m_length;
    size_t capacity = m_capacity;
    m_data = nullptr;
    m_length = m_capacity = 0;
    if (!m_sink.write_all(data, length)) m_failed = true;
    m_total += length;
    if (m_data == nullptr && capacity <= kKeptCapacity) {
        m_data = data;
        m_capacity = capacity;
    } else {
        free(data);
    }
}

void Reply::release() {
    free(m_data);
    m_data = nullptr;
    m_length = m_capacity = 0;
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
    char buffer[kDoubleTextMax];
    std::string_view text{buffer, format_double(value, buffer)};
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
