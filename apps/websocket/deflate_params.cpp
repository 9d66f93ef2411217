// Offer parsing and the answer: the endpoint's policy decides context takeover and windows, and
// the client's offer bounds them (a window may only shrink from what the client offered).
#include "apps/websocket/deflate_params.hpp"

#include <cstdio>

#include "apps/http/request.hpp"
#include "apps/http/syntax.hpp"

namespace coronet::websocket {
namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";

// A window size parameter's value: 1*DIGIT, possibly quoted (RFC 7692 §7.1.2), 8..15.
bool parse_window_bits(std::string_view value, uint8_t& bits) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    if (value.empty() || value.size() > 2) return false;
    unsigned number = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
        number = number * 10 + static_cast<unsigned>(c - '0');
    }
    if (number < kMinWindowBits || number > kMaxWindowBits) return false;
    bits = static_cast<uint8_t>(number);
    return true;
}

uint8_t smaller(uint8_t a, uint8_t b) { return a < b ? a : b; }

}  // namespace

bool parse_deflate_offer(std::string_view parameters, DeflateOffer& offer) {
    offer = {};
    bool seen_server_window = false;
    while (!parameters.empty()) {
        if (parameters.front() != ';') return false;
        parameters.remove_prefix(1);
        size_t end = parameters.find(';');
        std::string_view parameter = http::trim_ows(parameters.substr(0, end));
        parameters = end == std::string_view::npos ? std::string_view{} : parameters.substr(end);
        std::string_view name = parameter, value;
        bool has_value = false;
        if (size_t eq = parameter.find('='); eq != std::string_view::npos) {
            name = http::trim_ows(parameter.substr(0, eq));
            value = http::trim_ows(parameter.substr(eq + 1));
            has_value = true;
        }
        if (http::equals_ignore_case(name, "server_no_context_takeover")) {
            if (has_value || offer.server_no_context_takeover) return false;
            offer.server_no_context_takeover = true;
        } else if (http::equals_ignore_case(name, "client_no_context_takeover")) {
            if (has_value || offer.client_no_context_takeover) return false;
            offer.client_no_context_takeover = true;
        } else if (http::equals_ignore_case(name, "server_max_window_bits")) {
            if (!has_value || seen_server_window) return false;
            if (!parse_window_bits(value, offer.server_max_window_bits)) return false;
            seen_server_window = true;
        } else if (http::equals_ignore_case(name, "client_max_window_bits")) {
            if (offer.client_max_window_bits) return false;
            offer.client_max_window_bits = true;
            if (has_value && !parse_window_bits(value, offer.client_max_window_bits_value))
                return false;
        } else {
            return false;  // unknown parameter: decline this offer
        }
    }
    return true;
}

bool negotiate_deflate(const std::string_view* values, size_t count, const DeflateChoice& choice,
                       DeflateParams& params) {
    if (choice.policy == DeflatePolicy::Off) return false;
    for (size_t i = 0; i < count; ++i) {
        bool found = false;
        http::for_each_element(values[i], [&](std::string_view element) {
            size_t semicolon = element.find(';');
            std::string_view name = http::trim_ows(element.substr(0, semicolon));
            if (!http::equals_ignore_case(name, kExtensionName)) return true;
            DeflateOffer offer;
            std::string_view rest = semicolon == std::string_view::npos ? std::string_view{}
                                                                        : element.substr(semicolon);
            if (!parse_deflate_offer(rest, offer)) return true;  // declined: try the next offer
            DeflateParams agreed;
            bool stateless = choice.policy == DeflatePolicy::Stateless;
            uint8_t cap = stateless ? kMaxWindowBits : choice.window_bits;
            agreed.server_no_context_takeover = stateless || offer.server_no_context_takeover;
            agreed.client_no_context_takeover = stateless || offer.client_no_context_takeover;
            agreed.server_max_window_bits = cap;
            if (offer.server_max_window_bits) {
                agreed.server_max_window_bits = smaller(cap, offer.server_max_window_bits);
                agreed.announce_server_window = true;
            }
            // Without client_max_window_bits in the offer the client may use a 32 KiB window
            // and we may not ask for less: a Windowed connection then keeps a full inflater.
            // With it, a smaller window holds only once the response names it.
            if (offer.client_max_window_bits) {
                uint8_t offered = offer.client_max_window_bits_value
                                      ? offer.client_max_window_bits_value
                                      : kMaxWindowBits;
                agreed.client_max_window_bits = smaller(cap, offered);
                agreed.announce_client_window = agreed.client_max_window_bits != kMaxWindowBits ||
                                                offer.client_max_window_bits_value != 0;
            }
            params = agreed;
            found = true;
            return false;
        });
        if (found) return true;
    }
    return false;
}

size_t format_deflate_response(const DeflateParams& params, char* out) {
    int n = std::snprintf(out, kDeflateResponseSize, "%.*s%s%s",
                          static_cast<int>(kExtensionName.size()), kExtensionName.data(),
                          params.server_no_context_takeover ? "; server_no_context_takeover" : "",
                          params.client_no_context_takeover ? "; client_no_context_takeover" : "");
    size_t length = static_cast<size_t>(n);
    if (params.announce_server_window)
        length += static_cast<size_t>(std::snprintf(out + length, kDeflateResponseSize - length,
                                                    "; server_max_window_bits=%u",
                                                    params.server_max_window_bits));
    if (params.announce_client_window)
        length += static_cast<size_t>(std::snprintf(out + length, kDeflateResponseSize - length,
                                                    "; client_max_window_bits=%u",
                                                    params.client_max_window_bits));
    return length;
}

}  // namespace coronet::websocket
