// Replies in RESP2 or RESP3, gathered in the connection's reply buffer. Types RESP3 added
// (null, map, set, double, push) fall back to their RESP2 forms on a RESP2 connection, as Redis
// does. Nothing is written while a command runs: a command (or a whole EXEC) is never cut in two
// by a write that waits for the client, so no other client can run in the middle of it. The
// buffer goes out between commands (flush()), and a failed write is remembered (the connection
// is over) rather than checked at every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/output.hpp"

namespace coronet::redis {

class Reply {
public:
    // Writes go to `sink` (the connection's stream) when flushed.
    explicit Reply(Sink& sink) : m_sink(sink) {}
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;
    ~Reply() { release(); }

    void set_protocol(int version) { m_resp3 = version == 3; }
    bool resp3() const { return m_resp3; }
    bool failed() const { return m_failed; }

    void simple(std::string_view text);  // +text
    void ok() { simple("OK"); }
    // `text` is the whole error line after '-', e.g. "ERR syntax error".
    void error(std::string_view text);
    void integer(int64_t value);
    void bulk(std::string_view bytes);
    void null();        // $-1 / _
    void null_array();  // *-1 / _
    void array(size_t count);
    void map(size_t pairs);   // RESP2: an array of 2 * pairs
    void set(size_t count);   // RESP2: an array
    void push(size_t count);  // RESP2: an array (pub/sub messages)
    // A double as Redis formats it (%.17g; inf, -inf): a RESP3 double or a RESP2 bulk string.
    void double_value(double value);
    void boolean(bool value);  // RESP3 #t/#f, RESP2 integer 1/0
    // A bulk string of the decimal value (INCRBYFLOAT's, GETRANGE of numbers).
    void bulk_decimal(int64_t value);
    void verbatim(std::string_view text);  // RESP3 =txt:..., RESP2 bulk (INFO, CLIENT INFO)
    void raw(std::string_view bytes);      // already encoded

    // Writes what is gathered: between commands, and before the client waits for something.
    void flush();
    // Gives the buffer back (the connection goes idle).
    void release();
    // Bytes gathered and not yet written.
    size_t pending() const { return m_length; }
    uint64_t total() const { return m_total; }  // bytes written over the connection's life

private:
    void header(char kind, uint64_t count);
    void put(std::string_view bytes);

    Sink& m_sink;
    char* m_data = nullptr;
    size_t m_length = 0;
    size_t m_capacity = 0;
    uint64_t m_total = 0;
    bool m_resp3 = false;
    bool m_failed = false;
};

}  // namespace coronet::redis
