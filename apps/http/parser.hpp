// Incremental, bounded HTTP/1.x request parsing (RFC 9112), pure code: no I/O, no allocation.
// HeadParser finds and parses a request head in a growing buffer; BodyDecoder then decodes a
// Content-Length or chunked body from whatever bytes arrive, in pieces of any size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"

namespace coronet::http {

// A method longer than any registered one is answered 501 before the request line ends.
inline constexpr size_t kMaxMethodLength = 32;
// Chunk extensions over a whole body: nobody sends them, so a small budget is plenty.
inline constexpr size_t kMaxChunkExtensionBytes = 4096;

enum class ParseStatus : uint8_t { NeedMore, Done, Error };

// Why a request was rejected: the status to answer with (400, 413, 414, 431, 501, 505) and a
// short reason for the log and the response body.
struct ParseError {
    uint16_t status = 0;
    const char* reason = "";
};

class HeadParser {
public:
    explicit HeadParser(const Limits& limits = {}) : m_limits(limits) {}

    // `buffer` holds every byte received since this request began; between calls it only grows
    // (earlier bytes unchanged), so each call scans only what is new. Empty lines before the
    // request line are skipped. Done: `request` is filled with views into `buffer` and the head
    // is the first head_length() bytes (the body or next request follows). Error: see error();
    // limits are enforced as the bytes arrive, not only once the head is complete.
    ParseStatus parse(std::string_view buffer, Request& request);

    size_t head_length() const { return m_head_length; }
    const ParseError& error() const { return m_error; }
    // Ready for the next request (on a buffer that starts at its first byte).
    void reset();

private:
    // Where the scan stands: each byte of the head is looked at once, in this state machine.
    enum class State : uint8_t {
        LineStart,
        EmptyLineLf,
        Method,
        TargetStart,
        Target,
        Version,
        RequestLineLf,
        FieldStart,
        FieldName,
        ValueStart,
        Value,
        FieldLf,
        EndLf,
        Done,
        Failed
    };
    bool reject(uint16_t status, const char* reason);  // always false
    void begin(Request& request);
    bool end_target(const char* data, size_t end, Request& request);
    bool end_request_line(const char* data, size_t end, Request& request);
    bool end_field(const char* data, Request& request);
    bool end_head(Request& request);

    Limits m_limits;
    const char* m_base = nullptr;  // the buffer of the last call: views already set point here
    State m_state = State::LineStart;
    size_t m_scanned = 0;      // bytes of the buffer already scanned
    size_t m_line_start = 0;   // start of the request line (for its length limit)
    size_t m_token_start = 0;  // start of the method, target, version or field value
    size_t m_name_start = 0;   // of the field being scanned
    size_t m_name_end = 0;
    size_t m_value_end = 0;  // after the value's last non-whitespace byte
    size_t m_head_length = 0;
    // What the fields said so far, applied to the request once the head is complete.
    uint8_t m_host_count = 0;
    bool m_absolute_target = false;  // the Host header then does not set request.host
    bool m_has_content_length = false;
    bool m_has_transfer_encoding = false;
    bool m_connection_close = false;
    bool m_connection_keep_alive = false;
    bool m_expect_continue = false;
    ParseError m_error;
};

class BodyDecoder {
public:
    // For the request head just parsed (its framing and Content-Length).
    explicit BodyDecoder(const Request& request, const Limits& limits = {});

    // Decodes from `input`. On NeedMore all of `input` was consumed, except when a call found
    // a piece of body data and stopped where the next piece begins; on Done the body is
    // complete and `consumed` may be less than input.size() (the rest belongs to the next
    // request). `data` is the body bytes found in this call: a view into `input` (one piece per
    // call: call again with the unconsumed rest while the status is NeedMore and bytes remain).
    // A call on non-empty input consumes at least one byte unless the body is already done.
    // Chunk extensions are ignored; trailer fields are checked and discarded.
    struct Step {
        size_t consumed = 0;
        std::string_view data;
    };
    ParseStatus decode(std::string_view input, Step& step);

    bool done() const;
    uint64_t body_bytes() const { return m_body_bytes; }  // decoded so far
    const ParseError& error() const { return m_error; }

private:
    enum class State : uint8_t {
        Length,
        ChunkSize,
        ChunkSizeEnd,
        ChunkSizeWs,
        ChunkExtension,
        ChunkSizeLf,
        ChunkData,
        ChunkDataEnd,
        ChunkDataLf,
        TrailerStart,
        TrailerName,
        TrailerValue,
        TrailerLf,
        TrailerEndLf,
        Done,
        Failed
    };
    bool reject(uint16_t status, const char* reason);  // always false
    bool chunk_framing(unsigned char c);

    Limits m_limits;
    State m_state = State::Done;
    uint64_t m_remaining = 0;  // of the fixed-length body or the current chunk
    uint64_t m_body_bytes = 0;
    size_t m_digits = 0;           // hex digits of the current chunk size
    size_t m_extension_bytes = 0;  // chunk extensions of the whole body
    size_t m_trailer_bytes = 0;
    ParseError m_error;
};

}  // namespace coronet::http
