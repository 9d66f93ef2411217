// Redis command parsing as redis-server 7.0 does it (networking.c: processMultibulkBuffer,
// processInlineBuffer; sds.c: sdssplitargs), as a state machine over a growing buffer.
#include "apps/redis/command_parser.hpp"

#include <cstring>

namespace coronet::redis {

namespace {

// Redis's replies, word for word (addReplyError prefixes "ERR ").
constexpr const char* kTooBigCount = "ERR Protocol error: too big mbulk count string";
constexpr const char* kInvalidCount = "ERR Protocol error: invalid multibulk length";
constexpr const char* kTooBigLength = "ERR Protocol error: too big bulk count string";
constexpr const char* kInvalidLength = "ERR Protocol error: invalid bulk length";
constexpr const char* kTooBigInline = "ERR Protocol error: too big inline request";
constexpr const char* kUnbalanced = "ERR Protocol error: unbalanced quotes in request";
// Ours: Redis takes any two bytes after a bulk string's data as its CRLF, so a client whose
// lengths are off is read out of step, silently. We say so instead.
constexpr const char* kNoCrlf = "ERR Protocol error: expected '\\r\\n' after bulk data";
// Redis aborts when it cannot allocate; we answer and close instead.
constexpr const char* kOutOfMemory = "OOM out of memory for the command's arguments";

// Arguments reserved when a multibulk announces its count: enough for nearly every command at
// once, while a count alone (`*1000000`) costs no more than this. Redis reserves the same.
constexpr uint64_t kMaxReservedArguments = 1024;

constexpr uint64_t kMaxInt64 = UINT64_MAX >> 1;
constexpr uint64_t kMinInt64Magnitude = kMaxInt64 + 1;

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// isspace() in the C locale, which sdssplitargs uses between arguments and after a quote.
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The byte a backslash escape inside double quotes stands for: unknown escapes (\\, \", \z)
// stand for the escaped byte itself.
char unescape(char c) {
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
    }
}

// One argument of an inline line being assembled. While its bytes are a run of the line it stays
// a view of the buffer; the first byte that breaks the run (an escape, a quote inside the
// argument) moves it to the arguments' scratch block, taken once per line at the line's length:
// an argument never holds more bytes than the line bytes it came from.
class Token {
public:
    Token(const char* line, size_t length, Arguments& arguments)
        : m_line(line), m_length(length), m_arguments(arguments) {}

    void begin(size_t position) {
        m_start = position;
        m_size = 0;
        m_copied = false;
    }
    // Appends the line's byte at `position`; false when out of memory.
    bool take(size_t position) {
        if (!m_copied) {
            if (m_size == 0) m_start = position;
            if (m_start + m_size == position) {
                ++m_size;
                return true;
            }
            if (!copy_out()) return false;
        }
        m_scratch[m_used++] = m_line[position];
        return true;
    }
    // Appends a byte that is not in the line (an unescaped one).
    bool put(char byte) {
        if (!m_copied && !copy_out()) return false;
        m_scratch[m_used++] = byte;
        return true;
    }
    std::string_view view() const {
        if (m_copied) return {m_scratch + m_copy_start, m_used - m_copy_start};
        return {m_line + m_start, m_size};
    }

private:
    bool copy_out() {
        if (m_scratch == nullptr) {
            Result<char*> room = m_arguments.scratch(m_length);
            if (!room.ok()) return false;
            m_scratch = room.value();
        }
        m_copy_start = m_used;
        memcpy(m_scratch + m_used, m_line + m_start, m_size);
        m_used += m_size;
        m_copied = true;
        return true;
    }

    const char* m_line;
    size_t m_length;
    Arguments& m_arguments;
    char* m_scratch = nullptr;
    size_t m_used = 0;
    size_t m_start = 0;  // in the line, while the argument is a run of it
    size_t m_size = 0;
    bool m_copied = false;
    size_t m_copy_start = 0;  // in the scratch block, once copied
};

enum class Split : uint8_t { Ok, Unbalanced, OutOfMemory };

// Splits an inline line (without its line end) into arguments as sdssplitargs does: runs of
// non-blanks, where a double quote opens a string with C-like escapes and a single quote one
// where only \' is special. A quote may open mid-argument (a"b c" is one argument), but a
// closing quote must end it. One difference: a NUL byte is an ordinary byte here; in Redis it
// ends the C string (and strchr never finds the line's end past it, so such a line waits for
// the inline limit).
Split split_inline(const char* line, size_t length, Arguments& arguments) {
    Token token(line, length, arguments);
    size_t p = 0;
    for (;;) {
        while (p < length && is_space(line[p])) ++p;
        if (p == length) return Split::Ok;
        token.begin(p);
        char quote = 0;
        bool ok = true;
        for (bool done = false; !done;) {
            if (p == length) {
                if (quote != 0) return Split::Unbalanced;
                break;
            }
            char c = line[p];
            if (quote == '"') {
                if (c == '\\' && length - p >= 4 && line[p + 1] == 'x' &&
                    hex_value(line[p + 2]) >= 0 && hex_value(line[p + 3]) >= 0) {
                    ok = token.put(
                        static_cast<char>(hex_value(line[p + 2]) * 16 + hex_value(line[p + 3])));
                    p += 4;
                } else if (c == '\\' && p + 1 < length) {
                    ok = token.put(unescape(line[p + 1]));
                    p += 2;
                } else if (c == '"') {
                    if (p + 1 < length && !is_space(line[p + 1])) return Split::Unbalanced;
                    ++p;
                    done = true;
                } else {
                    ok = token.take(p++);
                }
            } else if (quote == '\'') {
                if (c == '\\' && p + 1 < length && line[p + 1] == '\'') {
                    ok = token.put('\'');
                    p += 2;
                } else if (c == '\'') {
                    if (p + 1 < length && !is_space(line[p + 1])) return Split::Unbalanced;
                    ++p;
                    done = true;
                } else {
                    ok = token.take(p++);
                }
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                // Not \v or \f: those are skipped between arguments but belong to one.
                ++p;
                done = true;
            } else if (c == '"' || c == '\'') {
                quote = c;
                ++p;
            } else {
                ok = token.take(p++);
            }
            if (!ok) return Split::OutOfMemory;
        }
        if (!arguments.push(token.view()).ok()) return Split::OutOfMemory;
    }
}

}  // namespace

ParseStatus CommandParser::fail(const char* error) {
    m_error = error;
    m_state = State::Failed;
    return ParseStatus::Error;
}

ParseStatus CommandParser::fail_expected_dollar(unsigned char got) {
    // Redis's reply maps CR and LF to spaces to keep the reply one line; a NUL could not be
    // carried by a C string, so it becomes one too.
    if (got == '\r' || got == '\n' || got == '\0') got = ' ';
    constexpr char kPrefix[] = "ERR Protocol error: expected '$', got '";
    static_assert(sizeof kPrefix + 2 <= sizeof m_error_text);
    memcpy(m_error_text, kPrefix, sizeof kPrefix - 1);
    char* end = m_error_text + sizeof kPrefix - 1;
    *end++ = static_cast<char>(got);
    *end++ = '\'';
    *end = '\0';
    m_error = nullptr;
    m_state = State::Failed;
    return ParseStatus::Error;
}

void CommandParser::reset() { *this = CommandParser(m_limits); }

uint64_t CommandParser::bulk_bytes_missing() const {
    switch (m_state) {
    case State::BulkData: return m_bulk_left + 2;
    case State::BulkCr: return 2;
    case State::BulkDataLf: return 1;
    default: return 0;
    }
}

void CommandParser::begin_line(size_t start) {
    m_line_start = start;
    m_number = 0;
    m_digits = 0;
    m_negative = false;
    m_fault = LineFault::None;
    m_first_byte = 0;
}

// A byte of a count or length line other than its '\r', `position` bytes after the '*' or '$'.
// The number is read as string2ll reads it ("-0", "007", "+1", " 1" are not numbers) and
// checked against its bound digit by digit, so it cannot overflow.
void CommandParser::line_byte(unsigned char c, size_t position, bool count) {
    if (position == 0) {  // the '*' of a count line (Start saw it), or what should be a '$'
        if (!count && c != '$') {
            m_fault = LineFault::NotDollar;
            m_first_byte = c;
        }
        return;
    }
    if (m_fault != LineFault::None) return;
    if (position == 1 && c == '-' && count) {  // a negative count is an empty command
        m_negative = true;
        return;
    }
    // A negative length is never valid: '-' is just another bad byte.
    bool leading_zero = m_digits == 1 && m_number == 0;
    if (!is_digit(c) || leading_zero || (c == '0' && m_digits == 0 && m_negative)) {
        m_fault = LineFault::Invalid;
        return;
    }
    // Redis's own bounds are INT_MAX elements and proto-max-bulk-len; ours come from the limits.
    uint64_t bound;
    if (!count) bound = m_limits.max_bulk_length < kMaxInt64 ? m_limits.max_bulk_length : kMaxInt64;
    else if (m_negative) bound = kMinInt64Magnitude;
    else bound = m_limits.max_arguments < kMaxInt64 ? m_limits.max_arguments : kMaxInt64;
    unsigned digit = c - '0';
    if (m_number > bound / 10 || m_number * 10 + digit > bound) {
        m_fault = LineFault::Invalid;
        return;
    }
    m_number = m_number * 10 + digit;
    ++m_digits;
}

// The '\r' at `position` ends the count or length line: its verdict, as Redis gives it once it
// has the whole line. Redis then skips the next byte whatever it is; we insist on a '\n'.
ParseStatus CommandParser::end_line(size_t position) {
    if (m_state == State::CountLine) {
        if (m_fault != LineFault::None || m_digits == 0) return fail(kInvalidCount);
        m_state = State::CountLf;
        return ParseStatus::NeedMore;
    }
    if (position == m_line_start) {  // an empty line: Redis reads its '\r' as the '$'
        m_fault = LineFault::NotDollar;
        m_first_byte = '\r';
    }
    if (m_fault == LineFault::NotDollar) return fail_expected_dollar(m_first_byte);
    if (m_fault != LineFault::None || m_digits == 0) return fail(kInvalidLength);
    m_state = State::BulkLf;
    return ParseStatus::NeedMore;
}

// The '\n' at `newline` ends an inline line.
ParseStatus CommandParser::end_inline(const char* data, size_t newline, Arguments& arguments) {
    size_t content_end = newline;
    if (newline > m_line_start && data[newline - 1] == '\r') --content_end;
    if (content_end - m_line_start > m_limits.max_inline_length) return fail(kTooBigInline);
    switch (split_inline(data + m_line_start, content_end - m_line_start, arguments)) {
    case Split::Ok: break;
    case Split::Unbalanced: return fail(kUnbalanced);
    case Split::OutOfMemory: return fail(kOutOfMemory);
    }
    m_command_length = newline + 1;
    m_state = State::Done;
    return ParseStatus::Done;
}

// Only a multibulk's bulk strings are pushed before the command is complete, and they all point
// into the buffer (an inline line is split in the call that finds its end, so the views into
// the scratch block never need moving).
void CommandParser::rebase(Arguments& arguments, const char* base) const {
    auto old_base = reinterpret_cast<uintptr_t>(m_base);
    for (size_t k = 0; k < arguments.size(); ++k) {
        std::string_view argument = arguments[k];
        size_t offset = reinterpret_cast<uintptr_t>(argument.data()) - old_base;
        arguments.set(k, {base + offset, argument.size()});
    }
}

ParseStatus CommandParser::parse(std::string_view buffer, Arguments& arguments) {
    if (m_state == State::Done) return ParseStatus::Done;
    if (m_state == State::Failed) return ParseStatus::Error;
    if (buffer.size() < m_scanned) reset();  // the caller broke the only-grows rule: start over
    if (m_scanned == 0) arguments.clear();
    else if (buffer.data() != m_base) rebase(arguments, buffer.data());
    m_base = buffer.data();

    const char* data = buffer.data();
    const size_t end = buffer.size();
    const size_t limit = m_limits.max_inline_length;
    size_t i = m_scanned;
    // Every exit below stores the scan position back.
    auto stop = [&](ParseStatus status) {
        m_scanned = i;
        return status;
    };
    auto done = [&] {
        m_command_length = i;
        m_state = State::Done;
        return stop(ParseStatus::Done);
    };

    while (i < end) {
        auto c = static_cast<unsigned char>(data[i]);
        switch (m_state) {
        case State::Start:
            begin_line(i);
            m_state = c == '*' ? State::CountLine : State::Inline;
            continue;  // the first byte belongs to the line
        case State::Inline: {
            // Only as far as a line within the limit could reach: its content, a '\r', a '\n'.
            // Redis counts what arrived without a '\n', so a line just over the limit may pass
            // there if it arrives whole; here only the line's own length counts.
            size_t window = limit < SIZE_MAX - 2 ? limit + 2 : SIZE_MAX;
            size_t window_end = end - m_line_start > window ? m_line_start + window : end;
            const void* newline = memchr(data + i, '\n', window_end - i);
            if (newline != nullptr) {
                size_t at = static_cast<const char*>(newline) - data;
                i = at + 1;
                return stop(end_inline(data, at, arguments));
            }
            i = window_end;
            // Every byte so far is content, except a last '\r' that may be a CRLF's.
            size_t content = i - m_line_start - (data[i - 1] == '\r' ? 1 : 0);
            if (content > limit) return stop(fail(kTooBigInline));
            continue;
        }
        case State::CountLine:
        case State::BulkLine: {
            bool count = m_state == State::CountLine;
            if (c == '\r') {
                if (end_line(i) == ParseStatus::Error) return stop(ParseStatus::Error);
                break;
            }
            // Redis's check, made per byte: more than the inline limit and no '\r' yet.
            if (i - m_line_start >= limit) return stop(fail(count ? kTooBigCount : kTooBigLength));
            line_byte(c, i - m_line_start, count);
            break;
        }
        case State::CountLf:
            if (c != '\n') return stop(fail(kInvalidCount));
            ++i;
            if (m_negative || m_number == 0) return done();  // Redis skips it silently
            m_elements_left = m_number;
            if (!arguments
                     .reserve(m_number < kMaxReservedArguments ? m_number : kMaxReservedArguments)
                     .ok())
                return stop(fail(kOutOfMemory));
            m_state = State::BulkLine;
            begin_line(i);
            continue;
        case State::BulkLf:
            if (c != '\n') return stop(fail(kInvalidLength));
            ++i;
            m_bulk_length = m_bulk_left = m_number;
            m_data_start = i;
            m_state = m_bulk_left > 0 ? State::BulkData : State::BulkCr;
            continue;
        case State::BulkData: {
            // Data is not looked at: skipped whole, however it arrives.
            uint64_t available = end - i;
            uint64_t take = m_bulk_left < available ? m_bulk_left : available;
            i += take;
            m_bulk_left -= take;
            if (m_bulk_left == 0) m_state = State::BulkCr;
            continue;
        }
        case State::BulkCr:
            if (c != '\r') return stop(fail(kNoCrlf));
            m_state = State::BulkDataLf;
            break;
        case State::BulkDataLf:
            if (c != '\n') return stop(fail(kNoCrlf));
            if (!arguments.push({data + m_data_start, static_cast<size_t>(m_bulk_length)}).ok())
                return stop(fail(kOutOfMemory));
            ++i;
            if (--m_elements_left == 0) return done();
            m_state = State::BulkLine;
            begin_line(i);
            continue;
        case State::Done:
        case State::Failed: break;  // handled on entry
        }
        ++i;
    }
    return stop(ParseStatus::NeedMore);
}

}  // namespace coronet::redis
