// An HTTP/1.x response head as a client or proxy parsed it (HeadParser's response mode): views
// into the receive buffer, plus the framing and connection decisions derived from the headers.
// Not to be confused with Response (response.hpp), which writes the server's responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"

namespace coronet::http {

struct ResponseHead {
    Version version = Version::Http11;
    uint16_t status = 0;      // 100-999, three digits on the wire
    std::string_view reason;  // reason-phrase as sent, possibly empty; not to be relied on

    Header headers[kMaxHeaderCount];
    size_t header_count = 0;

    // How the body ends (RFC 9112 6.3). None for 1xx, 204, 304, any response to HEAD and a 2xx
    // to CONNECT, whatever the headers say.
    BodyFraming framing = BodyFraming::None;
    // The Content-Length value, 0 when absent. The body's length only with framing
    // ContentLength: on a response without a body it describes what a GET would have sent.
    uint64_t content_length = 0;
    // 1.1: unless "Connection: close"; 1.0: only with "keep-alive"; never when the body is
    // delimited by the close (UntilClose).
    bool keep_alive = true;
    // The body BodyDecoder yields is still transfer-coded with something other than chunked
    // (e.g. "Transfer-Encoding: gzip, chunked"): the Transfer-Encoding field says with what.
    bool transfer_coded = false;

    // An interim (1xx) response: the final response follows on the same connection, so a
    // client skips this head (head_length() bytes) and parses the next. 101 Switching
    // Protocols is final: after it the connection no longer speaks HTTP/1.1.
    bool interim() const { return status >= 100 && status < 200 && status != 101; }

    // The first header with this name (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const {
        return find_header(headers, header_count, name);
    }
};

}  // namespace coronet::http
