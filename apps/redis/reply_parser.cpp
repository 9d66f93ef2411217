// The reply parser: a state machine over a growing buffer that finds each value's line, reads the
// line whole once its CRLF is in, and skips string data without looking at it. Aggregates are
// kept open on a fixed stack; their nodes learn where their subtree ends when they close.
#include "apps/redis/reply_parser.hpp"

#include <cstdlib>
#include <cstring>

#include "apps/redis/reply_value.hpp"

namespace coronet::redis {

namespace {

constexpr uint64_t kMaxInt64 = UINT64_MAX >> 1;
constexpr size_t kMaxNodes = UINT32_MAX;  // ReplyNode::span is 32-bit

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A length or count: decimal digits, or "-1" where RESP2 allows a null. Saturates instead of
// overflowing, so a huge number fails its limit like any number just over it.
enum class Length : uint8_t { Ok, Null, Bad };
Length parse_length(std::string_view text, bool null_allowed, uint64_t& value) {
    if (text == "-1") return null_allowed ? Length::Null : Length::Bad;
    if (text.empty()) return Length::Bad;
    value = 0;
    for (char c : text) {
        if (!is_digit(c)) return Length::Bad;
        unsigned digit = c - '0';
        value = value > (UINT64_MAX - digit) / 10 ? UINT64_MAX : value * 10 + digit;
    }
    return Length::Ok;
}

// [+|-]digits within int64.
bool parse_integer(std::string_view text, int64_t& value) {
    size_t p = 0;
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        p = 1;
    }
    if (p == text.size()) return false;
    uint64_t bound = negative ? kMaxInt64 + 1 : kMaxInt64;
    uint64_t magnitude = 0;
    for (; p < text.size(); ++p) {
        if (!is_digit(text[p])) return false;
        unsigned digit = text[p] - '0';
        if (magnitude > (bound - digit) / 10) return false;
        magnitude = magnitude * 10 + digit;
    }
    value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return true;
}

size_t skip_digits(std::string_view text, size_t p) {
    while (p < text.size() && is_digit(text[p])) ++p;
    return p;
}

// RESP3's double: [+|-]integral[.fraction][e|E[+|-]exponent], or inf, -inf, nan. The value is
// converted only when asked for (ReplyValue::to_double).
bool is_double(std::string_view text) {
    if (text == "inf" || text == "-inf" || text == "+inf" || text == "nan") return true;
    size_t p = 0;
    if (p < text.size() && (text[p] == '-' || text[p] == '+')) ++p;
    size_t integral = p;
    p = skip_digits(text, p);
    size_t digits = p - integral;
    if (p < text.size() && text[p] == '.') {
        size_t fraction = ++p;
        p = skip_digits(text, p);
        digits += p - fraction;
    }
    if (digits == 0) return false;
    if (p < text.size() && (text[p] == 'e' || text[p] == 'E')) {
        ++p;
        if (p < text.size() && (text[p] == '-' || text[p] == '+')) ++p;
        size_t exponent = p;
        p = skip_digits(text, p);
        if (p == exponent) return false;
    }
    return p == text.size();
}

bool is_big_number(std::string_view text) {
    size_t p = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    return p < text.size() && skip_digits(text, p) == text.size();
}

// RESP2's five type bytes and RESP3's ten; RESP3's streamed parts (';', '.') are not among them.
constexpr std::string_view kTypes = "+-:$*_,#(!=%~|>";

bool is_type(char c) { return kTypes.find(c) != std::string_view::npos; }

}  // namespace

const char* reply_kind_name(ReplyKind kind) {
    switch (kind) {
    case ReplyKind::Simple: return "simple";
    case ReplyKind::Error: return "error";
    case ReplyKind::Integer: return "integer";
    case ReplyKind::Bulk: return "bulk";
    case ReplyKind::Verbatim: return "verbatim";
    case ReplyKind::Double: return "double";
    case ReplyKind::BigNumber: return "big number";
    case ReplyKind::Boolean: return "boolean";
    case ReplyKind::Null: return "null";
    case ReplyKind::Array: return "array";
    case ReplyKind::Map: return "map";
    case ReplyKind::Set: return "set";
    case ReplyKind::Push: return "push";
    }
    return "?";
}

const char* reply_error_name(ReplyError error) {
    switch (error) {
    case ReplyError::None: return "none";
    case ReplyError::BulkTooLong: return "bulk string over the limit";
    case ReplyError::ReplyTooLarge: return "reply over the limit";
    case ReplyError::TooManyElements: return "too many elements";
    case ReplyError::TooDeep: return "aggregates nested too deep";
    case ReplyError::LineTooLong: return "line over the limit";
    case ReplyError::UnknownType: return "unknown type byte";
    case ReplyError::BadLength: return "invalid length";
    case ReplyError::BadNumber: return "invalid number";
    case ReplyError::BadBoolean: return "invalid boolean";
    case ReplyError::BadNull: return "invalid null";
    case ReplyError::BadVerbatim: return "verbatim string without a format";
    case ReplyError::BadLineEnd: return "line not ended by CRLF";
    case ReplyError::BadBulkEnd: return "bulk data not followed by CRLF";
    case ReplyError::OutOfMemory: return "out of memory";
    }
    return "?";
}

bool is_limit(ReplyError error) {
    switch (error) {
    case ReplyError::BulkTooLong:
    case ReplyError::ReplyTooLarge:
    case ReplyError::TooManyElements:
    case ReplyError::TooDeep:
    case ReplyError::LineTooLong: return true;
    default: return false;
    }
}

ReplyParser::ReplyParser(const ReplyLimits& limits) : m_limits(limits) {
    if (m_limits.max_reply_bytes > kReplyBytesCeiling)
        m_limits.max_reply_bytes = kReplyBytesCeiling;
    if (m_limits.max_depth > kReplyDepthCeiling) m_limits.max_depth = kReplyDepthCeiling;
    if (m_limits.max_elements > kMaxNodes) m_limits.max_elements = kMaxNodes;
    if (m_limits.max_elements == 0) m_limits.max_elements = 1;
    // A line never reaches past the reply: keeps the window arithmetic below from overflowing.
    if (m_limits.max_line_length > m_limits.max_reply_bytes)
        m_limits.max_line_length = m_limits.max_reply_bytes;
}

void ReplyParser::reset() {
    m_state = State::Type;
    m_type = 0;
    m_scanned = m_line_start = m_line_end = 0;
    m_bulk_length = m_bulk_left = 0;
    m_data_start = m_reply_length = 0;
    m_promised = 1;
    m_depth = m_skipping = 0;
    m_error = ReplyError::None;
    m_count = 0;
}

void ReplyParser::release() {
    reset();
    if (m_nodes != m_inline) free(m_nodes);
    m_nodes = m_inline;
    m_capacity = kInlineNodes;
}

ParseStatus ReplyParser::fail(ReplyError error) {
    m_error = error;
    m_state = State::Failed;
    return ParseStatus::Error;
}

ReplyValue ReplyParser::value(const char* buffer) const { return ReplyValue(m_nodes, buffer); }

ReplyError ReplyParser::push_node(ReplyKind kind, size_t offset, size_t length, int64_t integer) {
    if (!recording()) return ReplyError::None;
    if (m_count == m_capacity) {
        // Never past max_elements: begin_aggregate() refused any count that would exceed it.
        size_t grown =
            m_capacity * 2 < m_limits.max_elements ? m_capacity * 2 : m_limits.max_elements;
        if (grown <= m_count) grown = m_count + 1;
        ReplyNode* nodes;
        if (m_nodes == m_inline) {
            nodes = static_cast<ReplyNode*>(malloc(grown * sizeof(ReplyNode)));
            if (nodes != nullptr) memcpy(nodes, m_inline, m_count * sizeof(ReplyNode));
        } else {
            nodes = static_cast<ReplyNode*>(realloc(m_nodes, grown * sizeof(ReplyNode)));
        }
        if (nodes == nullptr) return ReplyError::OutOfMemory;
        m_nodes = nodes;
        m_capacity = grown;
    }
    m_nodes[m_count] = {.kind = kind,
                        .span = 1,
                        .offset = static_cast<uint32_t>(offset),
                        .length = static_cast<uint32_t>(length),
                        .integer = integer};
    ++m_count;
    return ReplyError::None;
}

void ReplyParser::complete_value() {
    for (;;) {
        if (m_depth == 0) {
            m_state = State::Done;
            return;
        }
        Open& top = m_open[m_depth - 1];
        if (--top.remaining > 0) return;
        --m_depth;
        if (top.attribute) {
            // Metadata about the value that follows, not an element of what holds it.
            --m_skipping;
            return;
        }
        if (recording()) m_nodes[top.node].span = static_cast<uint32_t>(m_count - top.node);
    }
}

ReplyError ReplyParser::begin_aggregate(ReplyKind kind, uint64_t count, bool attribute) {
    // Refused on its count alone, before anything is spent on it.
    uint64_t room = m_limits.max_elements - m_promised;
    bool pairs = attribute || kind == ReplyKind::Map;
    if (count > room || (pairs && count > room / 2)) return ReplyError::TooManyElements;
    uint64_t children = pairs ? count * 2 : count;
    if (children > 0 && m_depth == m_limits.max_depth) return ReplyError::TooDeep;
    m_promised += children;
    uint32_t node = static_cast<uint32_t>(m_count);
    if (!attribute) {
        if (ReplyError e = push_node(kind, 0, children, 0); e != ReplyError::None) return e;
    }
    if (children == 0) {
        if (!attribute) complete_value();
        return ReplyError::None;
    }
    m_open[m_depth++] = {.node = node, .attribute = attribute, .remaining = children};
    if (attribute) ++m_skipping;
    return ReplyError::None;
}

ReplyError ReplyParser::end_line(const char* data, size_t after) {
    std::string_view line(data + m_line_start, m_line_end - m_line_start);
    size_t start = m_line_start;
    m_state = State::Type;
    ReplyKind kind;
    int64_t integer = 0;
    switch (m_type) {
    case '+': kind = ReplyKind::Simple; break;
    case '-': kind = ReplyKind::Error; break;
    case ':':
        if (!parse_integer(line, integer)) return ReplyError::BadNumber;
        kind = ReplyKind::Integer;
        break;
    case '_':
        if (!line.empty()) return ReplyError::BadNull;
        kind = ReplyKind::Null;
        break;
    case '#':
        if (line != "t" && line != "f") return ReplyError::BadBoolean;
        integer = line == "t";
        kind = ReplyKind::Boolean;
        break;
    case ',':
        if (!is_double(line)) return ReplyError::BadNumber;
        kind = ReplyKind::Double;
        break;
    case '(':
        if (!is_big_number(line)) return ReplyError::BadNumber;
        kind = ReplyKind::BigNumber;
        break;
    case '$':
    case '!':
    case '=': {
        uint64_t length = 0;
        switch (parse_length(line, m_type == '$', length)) {
        case Length::Bad: return ReplyError::BadLength;
        case Length::Null:
            if (ReplyError e = push_node(ReplyKind::Null, start, 0, 0); e != ReplyError::None)
                return e;
            complete_value();
            return ReplyError::None;
        case Length::Ok: break;
        }
        if (length > m_limits.max_bulk_length) return ReplyError::BulkTooLong;
        if (length > m_limits.max_reply_bytes - after ||
            m_limits.max_reply_bytes - after - length < 2)
            return ReplyError::ReplyTooLarge;
        m_bulk_length = m_bulk_left = length;
        m_data_start = after;
        m_state = length > 0 ? State::BulkData : State::BulkCr;
        return ReplyError::None;
    }
    default: {  // an aggregate: * % ~ > |
        uint64_t count = 0;
        switch (parse_length(line, m_type == '*', count)) {
        case Length::Bad: return ReplyError::BadLength;
        case Length::Null:
            if (ReplyError e = push_node(ReplyKind::Null, start, 0, 0); e != ReplyError::None)
                return e;
            complete_value();
            return ReplyError::None;
        case Length::Ok: break;
        }
        switch (m_type) {
        case '*': return begin_aggregate(ReplyKind::Array, count, false);
        case '%': return begin_aggregate(ReplyKind::Map, count, false);
        case '~': return begin_aggregate(ReplyKind::Set, count, false);
        case '>': return begin_aggregate(ReplyKind::Push, count, false);
        default: return begin_aggregate(ReplyKind::Map, count, true);  // '|'
        }
    }
    }
    if (ReplyError e = push_node(kind, start, line.size(), integer); e != ReplyError::None)
        return e;
    complete_value();
    return ReplyError::None;
}

ReplyError ReplyParser::end_bulk(const char* data) {
    m_state = State::Type;
    ReplyKind kind = ReplyKind::Bulk;
    if (m_type == '!') kind = ReplyKind::Error;
    if (m_type == '=') {
        // "txt:" or "mkd:" in front of the text: three bytes of format and a colon.
        if (m_bulk_length < 4 || data[m_data_start + 3] != ':') return ReplyError::BadVerbatim;
        kind = ReplyKind::Verbatim;
    }
    if (ReplyError e = push_node(kind, m_data_start, m_bulk_length, 0); e != ReplyError::None)
        return e;
    complete_value();
    return ReplyError::None;
}

ParseStatus ReplyParser::parse(std::string_view buffer) {
    if (m_state == State::Done) return ParseStatus::Done;
    if (m_state == State::Failed) return ParseStatus::Error;
    if (buffer.size() < m_scanned) reset();  // the caller broke the only-grows rule: start over

    const char* data = buffer.data();
    // Bytes past the reply limit are never scanned: they belong to a later reply, or prove this
    // one too large if it is not complete before them.
    const size_t end =
        buffer.size() < m_limits.max_reply_bytes ? buffer.size() : m_limits.max_reply_bytes;
    size_t i = m_scanned;
    auto stop = [&](ParseStatus status) {
        m_scanned = i;
        return status;
    };
    auto check = [&](ReplyError error) {
        if (error != ReplyError::None) return stop(fail(error));
        if (m_state == State::Done) {
            m_reply_length = i;
            return stop(ParseStatus::Done);
        }
        return ParseStatus::NeedMore;
    };

    while (i < end) {
        char c = data[i];
        switch (m_state) {
        case State::Type:
            if (!is_type(c)) return stop(fail(ReplyError::UnknownType));
            m_type = static_cast<unsigned char>(c);
            m_line_start = ++i;
            m_state = State::Line;
            continue;
        case State::Line: {
            // A line within the limit is its content and the CR: nothing further is looked at.
            size_t window = m_line_start + m_limits.max_line_length + 1;
            size_t window_end = end < window ? end : window;
            const void* cr = memchr(data + i, '\r', window_end - i);
            size_t stop_at = cr ? static_cast<const char*>(cr) - data : window_end;
            if (memchr(data + i, '\n', stop_at - i) != nullptr)
                return stop(fail(ReplyError::BadLineEnd));
            if (cr == nullptr) {
                i = window_end;
                if (i - m_line_start > m_limits.max_line_length)
                    return stop(fail(ReplyError::LineTooLong));
                continue;
            }
            m_line_end = stop_at;
            i = stop_at + 1;
            m_state = State::LineLf;
            continue;
        }
        case State::LineLf: {
            if (c != '\n') return stop(fail(ReplyError::BadLineEnd));
            ++i;
            ParseStatus status = check(end_line(data, i));
            if (status != ParseStatus::NeedMore) return status;
            continue;
        }
        case State::BulkData: {
            uint64_t available = end - i;
            uint64_t take = m_bulk_left < available ? m_bulk_left : available;
            i += take;
            m_bulk_left -= take;
            if (m_bulk_left == 0) m_state = State::BulkCr;
            continue;
        }
        case State::BulkCr:
            if (c != '\r') return stop(fail(ReplyError::BadBulkEnd));
            ++i;
            m_state = State::BulkLf;
            continue;
        case State::BulkLf: {
            if (c != '\n') return stop(fail(ReplyError::BadBulkEnd));
            ++i;
            ParseStatus status = check(end_bulk(data));
            if (status != ParseStatus::NeedMore) return status;
            continue;
        }
        case State::Done:
        case State::Failed: break;  // handled on entry
        }
        break;
    }
    if (buffer.size() > end) return stop(fail(ReplyError::ReplyTooLarge));
    return stop(ParseStatus::NeedMore);
}

}  // namespace coronet::redis
