// The opening handshake (RFC 6455 §4.1), client side, pure apart from SHA-1 and base64: writes
// the upgrade request with its offers (subprotocols, permessage-deflate) and checks the server's
// response, parsed by the HTTP parser's response mode, strictly: the accept key, the upgrade
// fields, a subprotocol and extension parameters only as offered (RFC 7692 §7.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/http/response_head.hpp"
#include "apps/websocket/deflate_params.hpp"
#include "apps/websocket/handshake.hpp"
#include "apps/websocket/url.hpp"
#include "lib/output.hpp"
#include "lib/result.hpp"

namespace coronet::websocket {

inline constexpr size_t kClientKeyBytes = 16;   // random bytes in a Sec-WebSocket-Key
inline constexpr size_t kClientKeyLength = 24;  // their base64

// The permessage-deflate offer. The client always announces client_max_window_bits, so a
// server short of memory can ask for a smaller window.
struct ClientDeflateOptions {
    bool offer = false;
    // The largest window the client compresses with; below 15 it is sent as the offer's value.
    uint8_t client_max_window_bits = kMaxWindowBits;
    // The largest window the server may compress with (what the client's inflater keeps);
    // 0: not asked, the server chooses (up to 15).
    uint8_t server_max_window_bits = 0;
    bool client_no_context_takeover = false;  // we promise to compress each message alone
    bool server_no_context_takeover = false;  // we ask the server to (it must agree)
};

struct ClientHandshakeOptions {
    // Offered in this order; the server picks one or none.
    std::string_view subprotocols[kMaxSubprotocols] = {};
    size_t subprotocol_count = 0;
    ClientDeflateOptions deflate;
    // More request fields sent as given (Origin, Authorization, ...): none of the handshake's
    // own (Host, Upgrade, Connection, Sec-WebSocket-*), which the client writes itself.
    const http::Header* headers = nullptr;
    size_t header_count = 0;
};

// The Sec-WebSocket-Key for 16 random bytes: 24 base64 characters and a terminating NUL.
bool make_client_key(const uint8_t random[kClientKeyBytes], char out[kClientKeyLength + 1]);

// Whether every offer of `options` can be written: subprotocols are tokens, windows within
// 8..15, extra fields neither break the head nor repeat one of the handshake's own.
bool client_options_valid(const ClientHandshakeOptions& options);

// The upgrade request for `url`, with `key` and the offers of `options`; InvalidArgument when
// the options are not valid (above) or the key is not 24 characters.
Result<void> write_client_handshake(Output& output, const Url& url, std::string_view key,
                                    const ClientHandshakeOptions& options);

// What the response to the upgrade request means.
struct ClientHandshakeResult {
    // None: accepted, `handshake` holds what the session uses (the subprotocol is a view into
    // the response head). Refused: the server answered with another status (`status`).
    // Malformed: a 101 that breaks RFC 6455 or answers what was not offered.
    Error error = Error::None;
    uint16_t status = 0;      // the server's
    const char* reason = "";  // why it failed, for the app's log
    Handshake handshake;
};

ClientHandshakeResult check_handshake_response(const http::ResponseHead& response,
                                               std::string_view key,
                                               const ClientHandshakeOptions& options);

// Checks the value of a Sec-WebSocket-Extensions response (one or more fields) against the
// offer, and the parameters both sides then use (`params`: the server's window is what we
// inflate with, the client's what we compress with). False with `reason` when the server
// answered with an extension or a parameter that was not offered, or broke RFC 7692's rules.
bool accept_deflate_response(const std::string_view* values, size_t count,
                             const ClientDeflateOptions& offer, DeflateParams& params,
                             bool& accepted, const char*& reason);

}  // namespace coronet::websocket
