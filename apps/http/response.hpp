// A response under construction: status, extra headers, then either a fixed-length body
// (send) or a streamed one (begin_stream / write / end: chunked on HTTP/1.1, delimited by
// closing the connection on HTTP/1.0). HEAD requests get the same head without the body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "lib/output.hpp"
#include "lib/result.hpp"

namespace coronet::http {

inline constexpr size_t kExtraHeaderSpace = 1024;  // bytes of add_header() fields per response
inline constexpr std::string_view kServerName = "coronet";

// What the response needs to know about the request it answers.
struct ResponseContext {
    Version version = Version::Http11;
    bool head_only = false;  // a HEAD request: no body bytes
    bool keep_alive = true;  // the client allows another request on this connection
    std::string_view date;   // the Date header's value (IMF-fixdate), empty to omit it
};

class Response {
public:
    Response(Output& output, const ResponseContext& context)
        : m_output(output), m_context(context) {}

    void set_status(uint16_t status) { m_status = status; }
    uint16_t status() const { return m_status; }
    // Adds a header field; false when the space for extra fields is used up.
    bool add_header(std::string_view name, std::string_view value);
    // Ends the connection after this response ("Connection: close").
    void set_close() { m_close = true; }

    // The whole response with a fixed-length body.
    Result<void> send(std::string_view body,
                      std::string_view content_type = "text/plain; charset=utf-8");
    // A response without a body (304, 204) or with an empty one.
    Result<void> send_empty();

    // A streamed body of unknown length.
    Result<void> begin_stream(std::string_view content_type);
    // A response passed on from a server (a proxy's): its `fields` follow our own, less the
    // hop-by-hop ones (forwarding.hpp; `connection` is the Connection value they came with) and
    // its Date and Server (ours are sent). The body then follows through write() and end(),
    // delimited by `content_length` when known, else chunked (HTTP/1.1) or by closing the
    // connection (HTTP/1.0). For a status without a body, or a HEAD request, the length is
    // announced and nothing follows.
    Result<void> begin_relay(const Header* fields, size_t field_count, std::string_view connection,
                             const uint64_t* content_length);
    Result<void> write(std::string_view piece);
    Result<void> end();

    bool started() const { return m_state != State::Idle; }
    bool finished() const { return m_state == State::Done; }
    // Whether the connection stays open for the next request once this response is done.
    bool keep_alive() const { return m_context.keep_alive && !m_close; }

private:
    enum class State : uint8_t { Idle, Streaming, Done };
    // `relayed`: a passed-on response's fields (begin_relay).
    struct Relayed {
        const Header* fields;
        size_t count;
        std::string_view connection;
    };
    Result<void> write_head(std::string_view content_type, const uint64_t* content_length,
                            bool chunked, const Relayed* relayed = nullptr);

    Output& m_output;
    ResponseContext m_context;
    uint16_t m_status = 200;
    bool m_close = false;
    bool m_chunked = false;
    State m_state = State::Idle;
    char m_extra[kExtraHeaderSpace];
    size_t m_extra_length = 0;
};

}  // namespace coronet::http
