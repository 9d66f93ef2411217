// Incremental, bounded parsing of Redis client commands, pure code: no I/O. A command is either
// a RESP multibulk array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what every client
// library sends) or an inline line (`PING\r\n`, what telnet and redis-benchmark's PING_INLINE
// send, with Redis's quoting rules). Errors carry Redis's own reply text, so a client sees what
// redis-server would have said before it closes the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/arguments.hpp"

namespace coronet::redis {

// Redis's names for them (redis.conf), and its defaults where the appliance keeps them.
inline constexpr size_t kMaxInlineLength = 64 * 1024;            // PROTO_INLINE_MAX_SIZE
inline constexpr uint64_t kMaxBulkLengthCeiling = 512ULL << 20;  // proto-max-bulk-len's default
inline constexpr size_t kMaxArgumentsDefault = 1024 * 1024;      // elements of one multibulk

struct ParserLimits {
    uint64_t max_bulk_length = kMaxBulkLengthCeiling;  // proto-max-bulk-len
    size_t max_arguments = kMaxArgumentsDefault;
    size_t max_inline_length = kMaxInlineLength;
};

enum class ParseStatus : uint8_t { NeedMore, Done, Error };

class CommandParser {
public:
    explicit CommandParser(const ParserLimits& limits = {}) : m_limits(limits) {}

    // `buffer` holds every byte received since this command began. Between calls it only grows
    // at the end; it may move (same bytes at the same offsets from its start): views already
    // given to `arguments` are moved with it. Each call scans only what is new.
    // Done: `arguments` holds the command (views into `buffer`, or into the arguments' own
    // storage for inline arguments that had escapes), command_length() bytes of `buffer` were
    // the command. An empty multibulk (`*0`, `*-1`) or a blank inline line is Done with no
    // arguments: Redis skips those silently. Error: error() is Redis's reply text; the
    // connection answers it and closes, as redis-server does. Once Done or Error, later calls
    // return the same without looking at `buffer`, until reset().
    ParseStatus parse(std::string_view buffer, Arguments& arguments);

    size_t command_length() const { return m_command_length; }
    // Redis's error reply without the leading '-' and the CRLF, e.g.
    // "ERR Protocol error: invalid bulk length".
    const char* error() const { return m_error != nullptr ? m_error : m_error_text; }
    // Ready for the next command (on a buffer that starts at its first byte).
    void reset();
    // Bytes still missing before the current bulk string is complete (0 when unknown): lets the
    // connection make room for a large value at once instead of growing step by step.
    uint64_t bulk_bytes_missing() const;

private:
    // Where the scan stands; each byte of a line is looked at once, bulk data is skipped whole.
    enum class State : uint8_t {
        Start,      // the first byte says multibulk ('*') or inline
        Inline,     // looking for the '\n' that ends an inline line
        CountLine,  // "*<count>" up to its '\r'
        CountLf,
        BulkLine,  // "$<length>" up to its '\r'
        BulkLf,
        BulkData,
        BulkCr,  // the CRLF after the data
        BulkDataLf,
        Done,
        Failed
    };
    // What is wrong with the count or length line so far. Like Redis, the verdict waits for the
    // line's '\r' (or its length limit), so a line gets the reply redis-server would give it.
    enum class LineFault : uint8_t { None, Invalid, NotDollar };

    ParseStatus fail(const char* error);
    ParseStatus fail_expected_dollar(unsigned char got);
    void begin_line(size_t start);
    void line_byte(unsigned char c, size_t position, bool count);
    ParseStatus end_line(size_t position);
    ParseStatus end_inline(const char* data, size_t newline, Arguments& arguments);
    void rebase(Arguments& arguments, const char* base) const;

    ParserLimits m_limits;
    State m_state = State::Start;
    const char* m_base = nullptr;  // the buffer of the last call: views already pushed point here
    size_t m_scanned = 0;          // bytes of the buffer already scanned
    size_t m_line_start = 0;       // of the inline, count or length line being scanned
    // The number of a count or length line, as string2ll reads it: optional '-', no leading
    // zeros, checked against its bound as each digit arrives.
    uint64_t m_number = 0;
    uint32_t m_digits = 0;
    bool m_negative = false;
    LineFault m_fault = LineFault::None;
    unsigned char m_first_byte = 0;  // of a length line, for "expected '$', got 'X'"
    uint64_t m_elements_left = 0;    // bulk strings still to come in this multibulk
    uint64_t m_bulk_length = 0;
    uint64_t m_bulk_left = 0;  // data bytes of the current bulk string not yet received
    size_t m_data_start = 0;
    size_t m_command_length = 0;
    const char* m_error = "";  // a fixed reply, or nullptr for the one in m_error_text
    char m_error_text[48] = {};
};

}  // namespace coronet::redis
