// The client's side of the handshake. Every check a server's answer fails names what was wrong,
// since the one who reads it is an app developer pointing the client at the wrong server.
#include "apps/websocket/client_handshake.hpp"

#include <cstring>

#include "apps/http/syntax.hpp"
#include "mbedtls/base64.h"

namespace coronet::websocket {
namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";
constexpr size_t kHostFieldSize = kMaxUrlLength + 8;

// RFC 9110 5.6.2: the characters of a token (a field name, a subprotocol).
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

// A field value the head can carry: no CR, LF or NUL to end the field early.
bool safe_value(std::string_view value) {
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
}

// Fields the handshake writes itself, or that would give the GET a body.
bool reserved_field(std::string_view name) {
    for (std::string_view own :
         {"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
          "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Content-Length",
          "Transfer-Encoding"}) {
        if (http::equals_ignore_case(name, own)) return true;
    }
    return false;
}

bool valid_window(uint8_t bits) { return bits >= kMinWindowBits && bits <= kMaxWindowBits; }

// Whether any field named `name` holds `token` in its comma-separated list.
bool has_token(const http::ResponseHead& response, std::string_view name, std::string_view token) {
    for (size_t i = 0; i < response.header_count; ++i) {
        if (!http::equals_ignore_case(response.headers[i].name, name)) continue;
        bool found = !http::for_each_element(response.headers[i].value, [&](std::string_view e) {
            return !http::equals_ignore_case(e, token);
        });
        if (found) return true;
    }
    return false;
}

ClientHandshakeResult fail(Error error, uint16_t status, const char* reason) {
    ClientHandshakeResult result;
    result.error = error;
    result.status = status;
    result.reason = reason;
    result.handshake.status = status;
    result.handshake.reason = reason;
    return result;
}

Result<void> append_window(Output& out, std::string_view name, uint8_t bits) {
    TRY_VOID(out.append("; "));
    TRY_VOID(out.append(name));
    TRY_VOID(out.append("="));
    return out.append_decimal(bits);
}

Result<void> write_deflate_offer(Output& out, const ClientDeflateOptions& deflate) {
    TRY_VOID(out.append("Sec-WebSocket-Extensions: "));
    TRY_VOID(out.append(kExtensionName));
    if (deflate.client_max_window_bits == kMaxWindowBits)
        TRY_VOID(out.append("; client_max_window_bits"));
    else TRY_VOID(append_window(out, "client_max_window_bits", deflate.client_max_window_bits));
    if (deflate.server_max_window_bits)
        TRY_VOID(append_window(out, "server_max_window_bits", deflate.server_max_window_bits));
    if (deflate.client_no_context_takeover) TRY_VOID(out.append("; client_no_context_takeover"));
    if (deflate.server_no_context_takeover) TRY_VOID(out.append("; server_no_context_takeover"));
    return out.append("\r\n");
}

}  // namespace

bool client_options_valid(const ClientHandshakeOptions& options) {
    if (options.subprotocol_count > kMaxSubprotocols) return false;
    for (size_t i = 0; i < options.subprotocol_count; ++i) {
        if (!is_token(options.subprotocols[i])) return false;
    }
    const ClientDeflateOptions& deflate = options.deflate;
    if (deflate.offer) {
        if (!valid_window(deflate.client_max_window_bits)) return false;
        if (deflate.server_max_window_bits && !valid_window(deflate.server_max_window_bits))
            return false;
    }
    for (size_t i = 0; i < options.header_count; ++i) {
        const http::Header& header = options.headers[i];
        if (!is_token(header.name) || reserved_field(header.name) || !safe_value(header.value))
            return false;
    }
    return true;
}

bool make_client_key(const uint8_t random[kClientKeyBytes], char out[kClientKeyLength + 1]) {
    size_t length = 0;
    int rc = mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out), kClientKeyLength + 1,
                                   &length, random, kClientKeyBytes);
    return rc == 0 && length == kClientKeyLength;
}

Result<void> write_client_handshake(Output& out, const Url& url, std::string_view key,
                                    const ClientHandshakeOptions& options) {
    if (!client_options_valid(options) || key.size() != kClientKeyLength)
        return Error::InvalidArgument;
    char host[kHostFieldSize];
    size_t host_length = format_host_field(url, host, sizeof host);
    if (host_length == 0) return Error::InvalidArgument;
    TRY_VOID(out.append("GET "));
    TRY_VOID(out.append(url.path));
    if (!url.query.empty()) TRY_VOID(out.append(url.query));
    TRY_VOID(out.append(" HTTP/1.1\r\nHost: "));
    TRY_VOID(out.append({host, host_length}));
    TRY_VOID(out.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "));
    TRY_VOID(out.append(key));
    TRY_VOID(out.append("\r\nSec-WebSocket-Version: "));
    TRY_VOID(out.append(kWebSocketVersion));
    TRY_VOID(out.append("\r\n"));
    if (options.subprotocol_count > 0) {
        TRY_VOID(out.append("Sec-WebSocket-Protocol: "));
        for (size_t i = 0; i < options.subprotocol_count; ++i) {
            if (i > 0) TRY_VOID(out.append(", "));
            TRY_VOID(out.append(options.subprotocols[i]));
        }
        TRY_VOID(out.append("\r\n"));
    }
    if (options.deflate.offer) TRY_VOID(write_deflate_offer(out, options.deflate));
    for (size_t i = 0; i < options.header_count; ++i) {
        TRY_VOID(out.append(options.headers[i].name));
        TRY_VOID(out.append(": "));
        if (!options.headers[i].value.empty()) TRY_VOID(out.append(options.headers[i].value));
        TRY_VOID(out.append("\r\n"));
    }
    return out.append("\r\n");
}

bool accept_deflate_response(const std::string_view* values, size_t count,
                             const ClientDeflateOptions& offer, DeflateParams& params,
                             bool& accepted, const char*& reason) {
    accepted = false;
    reason = "";
    for (size_t i = 0; i < count; ++i) {
        bool ok = http::for_each_element(values[i], [&](std::string_view element) {
            if (element.empty()) return true;  // empty list elements are allowed (RFC 9110 5.6.1)
            size_t semicolon = element.find(';');
            std::string_view name = http::trim_ows(element.substr(0, semicolon));
            if (!http::equals_ignore_case(name, kExtensionName)) {
                reason = "the server answered with an extension that was not offered";
                return false;
            }
            if (!offer.offer) {
                reason = "the server answered with permessage-deflate, which was not offered";
                return false;
            }
            if (accepted) {
                reason = "the server answered with permessage-deflate twice";
                return false;
            }
            DeflateOffer answer;
            std::string_view rest = semicolon == std::string_view::npos ? std::string_view{}
                                                                        : element.substr(semicolon);
            // The response's parameters have the grammar of an offer's (RFC 7692 §7.1).
            if (!parse_deflate_offer(rest, answer)) {
                reason = "the server's permessage-deflate parameters are invalid";
                return false;
            }
            if (offer.server_no_context_takeover && !answer.server_no_context_takeover) {
                reason = "the server did not agree to server_no_context_takeover";
                return false;
            }
            if (offer.server_max_window_bits &&
                (!answer.server_max_window_bits ||
                 answer.server_max_window_bits > offer.server_max_window_bits)) {
                reason = "the server's server_max_window_bits is not within the offer";
                return false;
            }
            DeflateParams agreed;
            agreed.server_no_context_takeover = answer.server_no_context_takeover;
            agreed.client_no_context_takeover =
                answer.client_no_context_takeover || offer.client_no_context_takeover;
            agreed.server_max_window_bits =
                answer.server_max_window_bits ? answer.server_max_window_bits : kMaxWindowBits;
            agreed.client_max_window_bits = offer.client_max_window_bits;
            if (answer.client_max_window_bits) {
                uint8_t bits = answer.client_max_window_bits_value;
                if (bits == 0) {
                    reason = "the server's client_max_window_bits has no value";
                    return false;
                }
                if (bits > offer.client_max_window_bits) {
                    reason = "the server's client_max_window_bits is larger than offered";
                    return false;
                }
                agreed.client_max_window_bits = bits;
            }
            params = agreed;
            accepted = true;
            return true;
        });
        if (!ok) return false;
    }
    return true;
}

ClientHandshakeResult check_handshake_response(const http::ResponseHead& response,
                                               std::string_view key,
                                               const ClientHandshakeOptions& options) {
    uint16_t status = response.status;
    if (status != 101)
        return fail(Error::Refused, status, "the server answered the upgrade with another status");
    if (response.version != http::Version::Http11)
        return fail(Error::Malformed, status, "a 101 response in HTTP/1.0");
    if (!http::equals_ignore_case(http::trim_ows(response.header("Upgrade")), "websocket"))
        return fail(Error::Malformed, status, "the 101 response lacks Upgrade: websocket");
    if (!has_token(response, "Connection", "upgrade"))
        return fail(Error::Malformed, status, "the 101 response lacks Connection: Upgrade");
    char expected[29];
    if (!accept_key(key, expected)) return fail(Error::Malformed, status, "hashing the key failed");
    if (http::trim_ows(response.header("Sec-WebSocket-Accept")) != std::string_view{expected, 28})
        return fail(Error::Malformed, status, "Sec-WebSocket-Accept does not match the key");

    ClientHandshakeResult result;
    result.status = status;
    Handshake& handshake = result.handshake;
    handshake.status = status;
    std::memcpy(handshake.accept, expected, sizeof expected);
    std::string_view extensions[http::kMaxHeaderCount];
    size_t extension_count = 0;
    size_t protocol_fields = 0;
    for (size_t i = 0; i < response.header_count; ++i) {
        const http::Header& header = response.headers[i];
        if (http::equals_ignore_case(header.name, "Sec-WebSocket-Protocol")) {
            ++protocol_fields;
            handshake.subprotocol = http::trim_ows(header.value);
        } else if (http::equals_ignore_case(header.name, "Sec-WebSocket-Extensions")) {
            extensions[extension_count++] = header.value;
        }
    }
    if (protocol_fields > 1)
        return fail(Error::Malformed, status, "the server chose more than one subprotocol");
    if (protocol_fields == 1) {
        bool offered = false;
        for (size_t i = 0; i < options.subprotocol_count && !offered; ++i)
            offered = options.subprotocols[i] == handshake.subprotocol;  // case-sensitive (§4.1)
        if (!offered)
            return fail(Error::Malformed, status, "the server chose a subprotocol not offered");
    }
    const char* reason = "";
    if (!accept_deflate_response(extensions, extension_count, options.deflate,
                                 handshake.deflate_params, handshake.deflate, reason))
        return fail(Error::Malformed, status, reason);
    return result;
}

}  // namespace coronet::websocket
