// Incremental, bounded parsing of Redis replies (RESP2 and RESP3), the client's side of what
// command_parser.hpp is to the server, pure code: no I/O. A reply becomes a flat array of nodes
// in pre-order that locate its strings in the received bytes: one small array per reply, no copy
// of its data, read through ReplyValue (reply_value.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/command_parser.hpp"

namespace coronet::redis {

// A client's defaults: what one reply may hold before the connection is given up. A reply is a
// value the client asked for, so these are generous, but each is a bound on memory a server can
// make us spend (ReplyLimits).
inline constexpr uint64_t kReplyMaxBulkLength = 4ULL << 20;  // one string: 4 MiB
inline constexpr uint64_t kReplyMaxBytes = 8ULL << 20;       // one whole reply, framing included
inline constexpr size_t kReplyMaxElements = 64 * 1024;       // values in one reply, all levels
inline constexpr size_t kReplyMaxDepth = 16;                 // aggregates open inside each other
inline constexpr size_t kReplyMaxLineLength = 64 * 1024;     // +simple, -error, :integer, ...
// Bounds on the limits themselves: node offsets are 32-bit, the nesting stack is fixed.
inline constexpr uint64_t kReplyBytesCeiling = UINT32_MAX;
inline constexpr size_t kReplyDepthCeiling = 32;

struct ReplyLimits {
    uint64_t max_bulk_length = kReplyMaxBulkLength;  // $, !, = data bytes
    uint64_t max_reply_bytes = kReplyMaxBytes;       // clamped to kReplyBytesCeiling
    size_t max_elements = kReplyMaxElements;         // the reply itself counts as one
    size_t max_depth = kReplyMaxDepth;               // clamped to kReplyDepthCeiling
    size_t max_line_length = kReplyMaxLineLength;    // a line's content, without its CRLF
};

// What a reply value is. RESP2's null bulk ($-1) and null array (*-1) and RESP3's null (_) are
// all Null; a bulk error (!) is an Error like a simple one (-).
enum class ReplyKind : uint8_t {
    Simple,     // +OK
    Error,      // -ERR message, !<length> bulk error
    Integer,    // :1000
    Bulk,       // $<length> data
    Verbatim,   // =<length> txt:data (RESP3)
    Double,     // ,3.14 (RESP3)
    BigNumber,  // (<digits> (RESP3)
    Boolean,    // #t, #f (RESP3)
    Null,       // _, $-1, *-1
    Array,      // *<count>
    Map,        // %<pairs> (RESP3): keys and values alternate
    Set,        // ~<count> (RESP3)
    Push,       // ><count> (RESP3): out-of-band data, pub/sub messages
};

const char* reply_kind_name(ReplyKind kind);

// One value. Strings (every kind up to Boolean, except Null) are located by offset from the
// reply's first byte, so the nodes stay right when the caller's buffer moves.
struct ReplyNode {
    ReplyKind kind;
    uint32_t span;    // nodes in this value's subtree, itself included: its next sibling's
                      // node is `span` further on
    uint32_t offset;  // of the string's bytes (Verbatim: of its "txt:" prefix)
    uint32_t length;  // the string's bytes; an aggregate's child values (a map's keys + values)
    int64_t integer;  // Integer's value; Boolean's 1 or 0
};

// Why a reply was rejected: a limit (each its own), or the bytes are not RESP.
enum class ReplyError : uint8_t {
    None,
    BulkTooLong,      // max_bulk_length
    ReplyTooLarge,    // max_reply_bytes
    TooManyElements,  // max_elements
    TooDeep,          // max_depth
    LineTooLong,      // max_line_length
    UnknownType,      // a type byte RESP does not have (streamed RESP3 types included)
    BadLength,        // a length or count that is not a decimal, or negative other than -1
    BadNumber,        // an integer, double or big number that is not one
    BadBoolean,       // not #t or #f
    BadNull,          // _ with something before its CRLF
    BadVerbatim,      // no "xxx:" format in front of the text
    BadLineEnd,       // a CR or LF that is not a CRLF ending a line
    BadBulkEnd,       // data not followed by CRLF: the lengths are off
    OutOfMemory,      // the node array could not grow
};

const char* reply_error_name(ReplyError error);
// A limit of ReplyLimits, as against bytes that are not RESP at all.
bool is_limit(ReplyError error);

class ReplyValue;

class ReplyParser {
public:
    explicit ReplyParser(const ReplyLimits& limits = {});
    ReplyParser(const ReplyParser&) = delete;
    ReplyParser& operator=(const ReplyParser&) = delete;
    ~ReplyParser() { release(); }

    // `buffer` holds every byte received since this reply began; between calls it only grows at
    // the end, and it may move (same bytes at the same offsets). Each call scans only what is
    // new; string data is skipped whole, not looked at. Done: the reply is the first
    // reply_length() bytes (the next one may follow), read it with value(). Error: error() says
    // why. Once Done or Error, later calls return the same until reset(). RESP3 attributes (|)
    // are checked and skipped: they describe the value that follows and are not part of it.
    ParseStatus parse(std::string_view buffer);

    // The reply, over the buffer it was parsed from (or any copy of it). Only after Done; valid
    // until the next reset() or parse().
    ReplyValue value(const char* buffer) const;
    size_t reply_length() const { return m_reply_length; }
    ReplyError error() const { return m_error; }
    size_t node_count() const { return m_count; }
    const ReplyNode* nodes() const { return m_nodes; }

    // Ready for the next reply (on a buffer that starts at its first byte); storage is kept.
    void reset();
    // reset() and free the node storage grown past the inline nodes (the connection goes idle).
    void release();

private:
    enum class State : uint8_t {
        Type,      // the type byte of the next value
        Line,      // the rest of its line, up to the CR
        LineLf,    // the LF after it
        BulkData,  // skipped whole
        BulkCr,
        BulkLf,
        Done,
        Failed
    };
    // An aggregate whose elements are still arriving.
    struct Open {
        uint32_t node;       // its node (unused inside an attribute)
        bool attribute;      // a | being skipped: not an element of what holds it
        uint64_t remaining;  // child values still to come
    };
    static constexpr size_t kInlineNodes = 8;  // GET, SET, INCR, a short MGET: no heap

    ParseStatus fail(ReplyError error);
    // The line of the current value ended (its content is [m_line_start, m_line_end)).
    ReplyError end_line(const char* data, size_t after);
    ReplyError end_bulk(const char* data);
    ReplyError begin_aggregate(ReplyKind kind, uint64_t count, bool attribute);
    // A value was read whole: counts it in its aggregate, closing those it completes.
    void complete_value();
    ReplyError push_node(ReplyKind kind, size_t offset, size_t length, int64_t integer);
    bool recording() const { return m_skipping == 0; }

    ReplyLimits m_limits;
    State m_state = State::Type;
    unsigned char m_type = 0;  // of the value being read
    size_t m_scanned = 0;
    size_t m_line_start = 0;
    size_t m_line_end = 0;  // the CR
    uint64_t m_bulk_length = 0;
    uint64_t m_bulk_left = 0;
    size_t m_data_start = 0;
    size_t m_reply_length = 0;
    size_t m_promised = 1;  // values announced so far: the reply, then every count read
    Open m_open[kReplyDepthCeiling];
    size_t m_depth = 0;     // entries of m_open in use
    size_t m_skipping = 0;  // attributes among them
    ReplyError m_error = ReplyError::None;
    ReplyNode m_inline[kInlineNodes];
    ReplyNode* m_nodes = m_inline;
    size_t m_count = 0;
    size_t m_capacity = kInlineNodes;
};

}  // namespace coronet::redis
