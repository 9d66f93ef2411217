// Handshake checks in the order RFC 6455 §4.2.1 lists them; each failure names the status a
// client can act on (400 for a malformed request, 426 for another version, 403 for an origin).
#include "apps/websocket/handshake.hpp"

#include <cstring>

#include "apps/http/syntax.hpp"
#include "mbedtls/base64.h"
#include "mbedtls/sha1.h"

namespace coronet::websocket {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kKeyBytes = 16;   // a Sec-WebSocket-Key decodes to 16 random bytes
constexpr size_t kKeyLength = 24;  // and is 24 base64 characters
constexpr size_t kSha1Bytes = 20;

// Whether any field named `name` holds `token` in its comma-separated list.
bool has_token(const http::Request& request, std::string_view name, std::string_view token) {
    for (size_t i = 0; i < request.header_count; ++i) {
        if (!http::equals_ignore_case(request.headers[i].name, name)) continue;
        bool found = !http::for_each_element(
            request.headers[i].value,
            [&](std::string_view element) { return !http::equals_ignore_case(element, token); });
        if (found) return true;
    }
    return false;
}

Handshake refuse(uint16_t status, const char* reason) {
    Handshake handshake;
    handshake.status = status;
    handshake.reason = reason;
    return handshake;
}

bool key_well_formed(std::string_view key) {
    if (key.size() != kKeyLength) return false;
    unsigned char decoded[kKeyBytes + 2];
    size_t length = 0;
    int rc = mbedtls_base64_decode(decoded, sizeof decoded, &length,
                                   reinterpret_cast<const unsigned char*>(key.data()), key.size());
    return rc == 0 && length == kKeyBytes;
}

std::string_view choose_subprotocol(const http::Request& request, const HandshakeOptions& options) {
    std::string_view chosen;
    auto consider = [&](std::string_view offered) {
        if (offered.empty()) return true;
        for (size_t i = 0; i < options.subprotocol_count; ++i) {
            if (options.subprotocols[i] == offered) {  // subprotocol names are case-sensitive
                chosen = offered;
                return false;
            }
        }
        return true;
    };
    for (size_t i = 0; i < request.header_count && chosen.empty(); ++i) {
        if (http::equals_ignore_case(request.headers[i].name, "Sec-WebSocket-Protocol"))
            http::for_each_element(request.headers[i].value, consider);
    }
    if (!chosen.empty() || !options.subprotocol_hook) return chosen;
    for (size_t i = 0; i < request.header_count && chosen.empty(); ++i) {
        if (!http::equals_ignore_case(request.headers[i].name, "Sec-WebSocket-Protocol")) continue;
        http::for_each_element(request.headers[i].value, [&](std::string_view offered) {
            if (offered.empty() || !options.subprotocol_hook(offered, options.hook_context))
                return true;
            chosen = offered;
            return false;
        });
    }
    return chosen;
}

}  // namespace

bool accept_key(std::string_view key, char out[29]) {
    unsigned char input[kKeyLength + kAcceptGuid.size()];
    if (key.size() > kKeyLength) return false;
    std::memcpy(input, key.data(), key.size());
    std::memcpy(input + key.size(), kAcceptGuid.data(), kAcceptGuid.size());
    unsigned char digest[kSha1Bytes];
    if (mbedtls_sha1(input, key.size() + kAcceptGuid.size(), digest) != 0) return false;
    size_t length = 0;
    if (mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out), 29, &length, digest,
                              sizeof digest) != 0)
        return false;
    return length == 28;
}

Handshake check_handshake(const http::Request& request, const HandshakeOptions& options) {
    if (request.method != http::Method::Get) return refuse(405, "a WebSocket handshake is a GET");
    if (request.version != http::Version::Http11)
        return refuse(400, "a WebSocket handshake needs HTTP/1.1");
    if (request.framing != http::BodyFraming::None)
        return refuse(400, "a WebSocket handshake has no body");
    if (!has_token(request, "Upgrade", "websocket"))
        return refuse(426, "this resource needs Upgrade: websocket");
    if (!has_token(request, "Connection", "upgrade"))
        return refuse(400, "Connection: Upgrade missing");
    if (http::trim_ows(request.header("Sec-WebSocket-Version")) != kWebSocketVersion)
        return refuse(426, "unsupported Sec-WebSocket-Version (13 is supported)");
    std::string_view key = http::trim_ows(request.header("Sec-WebSocket-Key"));
    if (!key_well_formed(key)) return refuse(400, "Sec-WebSocket-Key is not 16 bytes of base64");
    if (options.origin_count > 0) {
        std::string_view origin = request.header("Origin");
        bool allowed = false;
        for (size_t i = 0; i < options.origin_count && !allowed; ++i)
            allowed = options.origins[i] == origin;
        if (!allowed) return refuse(403, "origin not allowed");
    }

    Handshake handshake;
    if (!accept_key(key, handshake.accept)) return refuse(500, "hashing the key failed");
    handshake.status = 101;
    handshake.subprotocol = choose_subprotocol(request, options);
    std::string_view extensions[http::kMaxHeaderCount];
    size_t count = 0;
    for (size_t i = 0; i < request.header_count; ++i) {
        if (http::equals_ignore_case(request.headers[i].name, "Sec-WebSocket-Extensions"))
            extensions[count++] = request.headers[i].value;
    }
    handshake.deflate =
        negotiate_deflate(extensions, count, options.deflate, handshake.deflate_params);
    return handshake;
}

Result<void> write_handshake_response(Output& output, const Handshake& handshake) {
    TRY_VOID(
        output.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: "));
    TRY_VOID(output.append({handshake.accept, 28}));
    if (!handshake.subprotocol.empty()) {
        TRY_VOID(output.append("\r\nSec-WebSocket-Protocol: "));
        TRY_VOID(output.append(handshake.subprotocol));
    }
    if (handshake.deflate) {
        char extension[kDeflateResponseSize];
        size_t length = format_deflate_response(handshake.deflate_params, extension);
        TRY_VOID(output.append("\r\nSec-WebSocket-Extensions: "));
        TRY_VOID(output.append({extension, length}));
    }
    return output.append("\r\n\r\n");
}

}  // namespace coronet::websocket
