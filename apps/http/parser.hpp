// Incremental, bounded HTTP/1.x request parsing (RFC 9112), pure code: no I/O, no allocation.
// HeadParser finds and parses a request head in a growing buffer; BodyDecoder then decodes a
// Content-Length or chunked body from whatever bytes arrive, in pieces of any size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"

namespace coronet::http {

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
    Limits m_limits;
    size_t m_scanned = 0;      // bytes of the buffer already scanned for the end of the head
    size_t m_line_start = 0;   // start of the line being scanned
    size_t m_request_line_start = 0;
    bool m_in_request_line = true;
    size_t m_head_length = 0;
    ParseError m_error;
};

class BodyDecoder {
public:
    // For the request head just parsed (its framing and Content-Length).
    explicit BodyDecoder(const Request& request, const Limits& limits = {});

    // Decodes from `input`. On NeedMore all of `input` was consumed; on Done the body is
    // complete and `consumed` may be less than input.size() (the rest belongs to the next
    // request). `data` is the body bytes found in this call: a view into `input` (one piece per
    // call: call again with the unconsumed rest while the status is NeedMore and bytes remain).
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
    enum class State : uint8_t { Length, ChunkSize, ChunkExtension, ChunkSizeLf, ChunkData,
                                 ChunkDataCr, ChunkDataLf, Trailer, TrailerLf, Done, Failed };
    Limits m_limits;
    State m_state = State::Done;
    uint64_t m_remaining = 0;   // of the fixed-length body or the current chunk
    uint64_t m_body_bytes = 0;
    size_t m_digits = 0;        // hex digits of the current chunk size
    size_t m_trailer_bytes = 0;
    size_t m_trailer_line = 0;  // bytes on the current trailer line
    ParseError m_error;
};

}  // namespace coronet::http
