// The opening handshake (RFC 6455 §4.2), server side: checks an HTTP upgrade request, picks a
// subprotocol and permessage-deflate parameters, and writes the 101 response with the
// Sec-WebSocket-Accept key. Pure apart from SHA-1 and base64 (mbedTLS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/websocket/deflate_params.hpp"
#include "lib/output.hpp"
#include "lib/result.hpp"

namespace coronet::websocket {

inline constexpr size_t kMaxSubprotocols = 8;
inline constexpr size_t kMaxOrigins = 8;
inline constexpr std::string_view kWebSocketVersion = "13";

// Chooses one of the client's offered subprotocols (in the order offered), or none (empty).
// Called with each offer until it returns true; `context` is the endpoint's.
using SubprotocolHook = bool (*)(std::string_view offered, void* context);

struct HandshakeOptions {
    // Subprotocols this endpoint speaks; the first one the client offers (in its order) is
    // chosen. A client that offers only others gets no Sec-WebSocket-Protocol back.
    std::string_view subprotocols[kMaxSubprotocols] = {};
    size_t subprotocol_count = 0;
    SubprotocolHook subprotocol_hook = nullptr;  // asked when no listed one matches
    void* hook_context = nullptr;
    // Origins allowed to connect (exact match, e.g. "https://example.com"); none: any origin.
    std::string_view origins[kMaxOrigins] = {};
    size_t origin_count = 0;
    DeflateChoice deflate;
};

struct Handshake {
    uint16_t status = 0;           // 101 when accepted; otherwise the status to answer with
    const char* reason = "";       // why not, for the response body and the log
    char accept[29] = {};          // Sec-WebSocket-Accept: base64 of a SHA-1 (28 characters)
    std::string_view subprotocol;  // the chosen one (a view into the request), or empty
    bool deflate = false;
    DeflateParams deflate_params;
};

// Checks `request` as a WebSocket opening handshake and decides the answer.
Handshake check_handshake(const http::Request& request, const HandshakeOptions& options);

// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (§4.2.2 step 5.4), 28 characters and
// a terminating NUL; false when hashing fails.
bool accept_key(std::string_view key, char out[29]);

// The 101 Switching Protocols response for an accepted handshake.
Result<void> write_handshake_response(Output& output, const Handshake& handshake);

}  // namespace coronet::websocket
