// permessage-deflate negotiation (RFC 7692 §7.1), pure code: the client's offers in
// Sec-WebSocket-Extensions are parsed strictly (an offer with an unknown, repeated or invalid
// parameter is declined, the next one tried) and answered within the endpoint's memory policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet::websocket {

inline constexpr uint8_t kMinWindowBits = 8;  // RFC 7692 allows 8..15 (zlib's raw deflate: 9..15)
inline constexpr uint8_t kMaxWindowBits = 15;

// How an endpoint spends memory on compression.
enum class DeflatePolicy : uint8_t {
    Off,        // permessage-deflate is declined
    Stateless,  // no context takeover either way: compression state lives only while a message
                // is being compressed or inflated, and a published message is compressed once
    Windowed,   // context takeover (better ratios) with windows capped per connection; a
                // connection that would pass the endpoint's budget is answered Stateless
};

// What was agreed for one connection.
struct DeflateParams {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    uint8_t server_max_window_bits = kMaxWindowBits;  // the window we compress with
    uint8_t client_max_window_bits = kMaxWindowBits;  // the window the client compresses with
    // The response names a window only for a parameter the client offered (§7.1.2).
    bool announce_server_window = false;
    bool announce_client_window = false;
};

// One offer as the client sent it.
struct DeflateOffer {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    uint8_t server_max_window_bits = 0;        // 0: not offered
    bool client_max_window_bits = false;       // offered (with or without a value)
    uint8_t client_max_window_bits_value = 0;  // 0: offered without a value
};

// Parses the parameters of one permessage-deflate offer (the text after the extension name,
// e.g. "; client_max_window_bits; server_max_window_bits=10"); false when the offer is invalid.
bool parse_deflate_offer(std::string_view parameters, DeflateOffer& offer);

// The endpoint's side of the negotiation.
struct DeflateChoice {
    DeflatePolicy policy = DeflatePolicy::Off;
    uint8_t window_bits = 12;  // Windowed: the largest window either side keeps per connection
};

// Picks the first acceptable permessage-deflate offer among the Sec-WebSocket-Extensions
// values (each a comma-separated list; other extensions are ignored); false when there is none
// or the policy is Off. `params` is what both sides then use.
bool negotiate_deflate(const std::string_view* values, size_t count, const DeflateChoice& choice,
                       DeflateParams& params);

// The Sec-WebSocket-Extensions response value for `params`, written into `out` (at least
// kDeflateResponseSize bytes); returns its length.
inline constexpr size_t kDeflateResponseSize = 160;  // every parameter, with two-digit windows: 128
size_t format_deflate_response(const DeflateParams& params, char* out);

}  // namespace coronet::websocket
