// An HTTP/1.x request head as parsed: views into the connection's receive buffer (valid until
// that buffer moves on to the next request), plus the framing and connection decisions the
// parser derived from the headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet::http {

// Limits a request must stay within; exceeding one is an error with the status shown. A
// response read by a client or proxy (HeadParser's response mode) stays within the same ones,
// the status line in place of the request line; its errors are all 502 (see ParseError).
struct Limits {
    size_t request_line = 8 * 1024;   // method + target + version: 414 (501 for a long method)
    size_t header_bytes = 16 * 1024;  // the whole head including the request line: 431
    size_t header_count = 64;         // header fields: 431
    uint64_t body_bytes = 1 << 20;    // decoded body, any framing: 413; or kNoBodyLimit
};
inline constexpr size_t kMaxHeaderCount = 64;  // storage in Request; Limits::header_count <= this
// A body limit that never applies: a proxy streams bodies on without holding them.
inline constexpr uint64_t kNoBodyLimit = UINT64_MAX;

enum class Method : uint8_t { Get, Head, Post, Put, Delete, Options, Patch, Trace, Connect, Other };
const char* method_name(Method method);

enum class Version : uint8_t { Http10, Http11 };

enum class BodyFraming : uint8_t {
    None,           // no body (no Content-Length / Transfer-Encoding, or Content-Length: 0)
    ContentLength,  // exactly content_length bytes follow the head
    Chunked,        // Transfer-Encoding: chunked, decoded by BodyDecoder
    UntilClose,     // responses only: the body ends when the server closes the connection
};

struct Header {
    std::string_view name;   // as sent (compare case-insensitively)
    std::string_view value;  // surrounding whitespace removed
};

struct Request {
    Method method = Method::Other;
    std::string_view method_text;  // as sent, e.g. "GET" or "PROPFIND"
    std::string_view target;       // request-target as sent, e.g. "/a/b?x=1"
    std::string_view path;         // target up to '?' (origin-form) or the whole target
    std::string_view query;        // after '?', without it; empty when absent
    Version version = Version::Http11;

    Header headers[kMaxHeaderCount];
    size_t header_count = 0;

    std::string_view host;  // the Host header (required on 1.1)
    BodyFraming framing = BodyFraming::None;
    uint64_t content_length = 0;   // with BodyFraming::ContentLength
    bool keep_alive = true;        // 1.1: unless "Connection: close"; 1.0: only with "keep-alive"
    bool expect_continue = false;  // "Expect: 100-continue"

    // The first header with this name (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const;
};

// True when `a` and `b` are equal ignoring ASCII case.
bool equals_ignore_case(std::string_view a, std::string_view b);

// The first of `count` header fields named `name` (case-insensitive), or an empty view: the
// lookup of requests and responses alike.
std::string_view find_header(const Header* headers, size_t count, std::string_view name);

}  // namespace coronet::http
