// ws:// URLs (RFC 6455 §3), pure code: split into what a client needs to connect (host, port)
// and what its opening handshake sends (the request target and the Host field).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/result.hpp"

namespace coronet::websocket {

inline constexpr uint16_t kDefaultWsPort = 80;
inline constexpr size_t kMaxUrlLength = 2048;

struct Url {
    std::string_view host;  // a name or an address literal (an IPv6 one without brackets)
    uint16_t port = kDefaultWsPort;
    std::string_view path = "/";  // "/" when the URL has none
    std::string_view query;       // with its '?', or empty: the request target is path + query
    bool ipv6_literal() const { return host.find(':') != std::string_view::npos; }
};

// Parses `text` (views into it). Errors: Unsupported for wss:// (no TLS yet), InvalidArgument
// for anything else that is not a ws:// URL: another scheme, user information, a fragment (§3
// forbids one), a bad or empty port, an empty host, spaces, control or non-ASCII bytes.
Result<Url> parse_url(std::string_view text);

// The Host field's value for `url` ("name", "name:8080", "[fd00::1]:8080"), written into `out`;
// returns its length, or 0 when it does not fit in `size` bytes.
size_t format_host_field(const Url& url, char* out, size_t size);

}  // namespace coronet::websocket
