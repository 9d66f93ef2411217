// Incremental, bounded HTTP/1.x message parsing (RFC 9112), pure code: no I/O, no allocation.
// HeadParser finds and parses a request head (the server) or a response head (a client or
// proxy) in a growing buffer; BodyDecoder then decodes its body from whatever bytes arrive, in
// pieces of any size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/http/response_head.hpp"

namespace coronet::http {

// A method longer than any registered one is answered 501 before the request line ends.
inline constexpr size_t kMaxMethodLength = 32;
// Chunk extensions over a whole body: nobody sends them, so a small budget is plenty.
inline constexpr size_t kMaxChunkExtensionBytes = 4096;

enum class ParseStatus : uint8_t { NeedMore, Done, Error };

// Why a request was rejected: the status to answer with (400, 413, 414, 431, 501, 505) and a
// short reason for the log and the response body. A response that fails to parse always has
// status 502, what a proxy answers when its upstream sends something it cannot use (RFC 9110
// 15.6.3); the reason says what was wrong (too large, malformed, cut short).
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

    // Response mode, for a client or proxy: the same scan with a status line in place of the
    // request line, and the body framing of RFC 9112 6.3, which depends on the method of the
    // request this answers (nothing follows the head of a response to HEAD). An interim (1xx)
    // head is Done like any other: see ResponseHead::interim(). Line folding is rejected, as
    // RFC 9112 5.2 lets a proxy do (unfolding would mean rewriting the caller's buffer). A
    // parser parses one kind of head between reset() calls.
    ParseStatus parse(std::string_view buffer, ResponseHead& response, Method request_method);

    size_t head_length() const { return m_head_length; }
    const ParseError& error() const { return m_error; }
    // Ready for the next head (on a buffer that starts at its first byte).
    void reset();

private:
    // Where the scan stands: each byte of the head is looked at once, in this state machine.
    // Only the start line differs between requests and responses; its states are contiguous.
    enum class State : uint8_t {
        LineStart,
        EmptyLineLf,
        Method,  // request line
        TargetStart,
        Target,
        Version,
        StatusVersion,  // status line
        StatusCode,
        Reason,
        StartLineLf,
        FieldStart,
        FieldName,
        ValueStart,
        Value,
        FieldLf,
        EndLf,
        Done,
        Failed
    };
    // The scan of either kind of head (Request or ResponseHead), one instance per kind.
    template <typename Head>
    ParseStatus scan(std::string_view buffer, Head& head, Method request_method);
    bool reject(uint16_t status, const char* reason);  // always false
    void begin(Request& request);
    void begin(ResponseHead& response);
    bool end_target(const char* data, size_t end, Request& request);
    bool end_version(const char* data, size_t end, Version& version);
    bool end_status_code(const char* data, ResponseHead& response);
    template <typename Head>
    bool end_field(const char* data, Head& head);
    bool take_field(const Header& header, Request& request);
    bool take_field(const Header& header, ResponseHead& response);
    bool take_content_length(std::string_view value, uint64_t& length);
    void take_connection(std::string_view value);
    bool end_head(Request& request);
    bool end_head(ResponseHead& response);

    Limits m_limits;
    const char* m_base = nullptr;  // the buffer of the last call: views already set point here
    State m_state = State::LineStart;
    size_t m_scanned = 0;      // bytes of the buffer already scanned
    size_t m_line_start = 0;   // start of the request or status line (for its length limit)
    size_t m_token_start = 0;  // start of the method, target, version, status, reason or value
    size_t m_name_start = 0;   // of the field being scanned
    size_t m_name_end = 0;
    size_t m_value_end = 0;  // after the value's last non-whitespace byte
    size_t m_head_length = 0;
    // What the fields said so far, applied to the head once it is complete.
    uint8_t m_host_count = 0;
    bool m_absolute_target = false;  // the Host header then does not set request.host
    bool m_has_content_length = false;
    bool m_has_transfer_encoding = false;  // chunked is among the transfer codings
    bool m_connection_close = false;
    bool m_connection_keep_alive = false;
    bool m_expect_continue = false;
    // Response mode only.
    bool m_response = false;  // errors are 502
    Method m_request_method = Method::Other;
    bool m_chunked_final = false;  // the last transfer coding so far is chunked
    bool m_other_coding = false;   // a transfer coding other than chunked
    ParseError m_error;
};

class BodyDecoder {
public:
    // For the request head just parsed (its framing and Content-Length).
    explicit BodyDecoder(const Request& request, const Limits& limits = {});
    // For a response head: the same, with UntilClose framing and errors that are 502.
    explicit BodyDecoder(const ResponseHead& response, const Limits& limits = {});

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
    // The input has ended (the peer closed the connection) and everything before the end was
    // given to decode(). Done when that completes the body: always with UntilClose framing,
    // which ends no other way, and when the body was already complete. Error when it cuts the
    // body short (a Content-Length or chunked body that did not finish).
    ParseStatus finish();

    bool done() const;
    uint64_t body_bytes() const { return m_body_bytes; }  // decoded so far
    const ParseError& error() const { return m_error; }

private:
    enum class State : uint8_t {
        Length,
        UntilClose,
        ChunkData,
        ChunkSize,
        ChunkSizeEnd,
        ChunkSizeWs,
        ChunkExtension,
        ChunkSizeLf,
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
    BodyDecoder(BodyFraming framing, uint64_t content_length, const Limits& limits, bool response);
    bool reject(uint16_t status, const char* reason);  // always false
    bool chunk_framing(unsigned char c);

    Limits m_limits;
    bool m_response = false;  // errors are 502
    State m_state = State::Done;
    uint64_t m_remaining = 0;  // of the fixed-length body or the current chunk
    uint64_t m_body_bytes = 0;
    size_t m_digits = 0;           // hex digits of the current chunk size
    size_t m_extension_bytes = 0;  // chunk extensions of the whole body
    size_t m_trailer_bytes = 0;
    ParseError m_error;
};

}  // namespace coronet::http
