// URL splitting for the client: strict rather than forgiving, since a URL comes from the app's
// configuration and a mistake there is better reported than guessed at.
#include "apps/websocket/url.hpp"

#include <cstdio>

#include "apps/http/request.hpp"

namespace coronet::websocket {
namespace {

constexpr size_t kMaxHostLength = 253;  // RFC 1035's limit on a whole name

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Visible ASCII only: whitespace and control bytes would end up inside the request line.
bool printable(std::string_view text) {
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7F) return false;
    }
    return true;
}

bool valid_name(std::string_view host) {
    if (host.empty() || host.size() > kMaxHostLength) return false;
    for (char c : host) {
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') return false;
    }
    return true;
}

bool valid_ipv6(std::string_view host) {
    if (host.find(':') == std::string_view::npos) return false;
    for (char c : host) {
        if (!is_hex(c) && c != ':' && c != '.') return false;
    }
    return true;
}

bool parse_port(std::string_view text, uint16_t& port) {
    if (text.empty() || text.size() > 5) return false;
    uint32_t value = 0;
    for (char c : text) {
        if (!is_digit(c)) return false;
        value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return false;
    port = static_cast<uint16_t>(value);
    return true;
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
    if (text.size() > kMaxUrlLength || !printable(text)) return Error::InvalidArgument;
    size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return Error::InvalidArgument;
    std::string_view scheme = text.substr(0, scheme_end);
    if (http::equals_ignore_case(scheme, "wss")) return Error::Unsupported;
    if (!http::equals_ignore_case(scheme, "ws")) return Error::InvalidArgument;
    if (text.find('#') != std::string_view::npos) return Error::InvalidArgument;
    std::string_view rest = text.substr(scheme_end + 3);
    size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view tail =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) return Error::InvalidArgument;

    Url url;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return Error::InvalidArgument;
        url.host = authority.substr(1, close - 1);
        if (!valid_ipv6(url.host)) return Error::InvalidArgument;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return Error::InvalidArgument;
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        size_t colon = authority.find(':');
        url.host = authority.substr(0, colon);
        if (!valid_name(url.host)) return Error::InvalidArgument;
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            has_port = true;
        }
    }
    if (has_port && !parse_port(port_text, url.port)) return Error::InvalidArgument;

    size_t query = tail.find('?');
    std::string_view path = tail.substr(0, query);
    if (!path.empty()) url.path = path;
    if (query != std::string_view::npos) url.query = tail.substr(query);
    return url;
}

size_t format_host_field(const Url& url, char* out, size_t size) {
    const char* open = url.ipv6_literal() ? "[" : "";
    const char* close = url.ipv6_literal() ? "]" : "";
    int n = url.port == kDefaultWsPort
                ? std::snprintf(out, size, "%s%.*s%s", open, static_cast<int>(url.host.size()),
                                url.host.data(), close)
                : std::snprintf(out, size, "%s%.*s%s:%u", open, static_cast<int>(url.host.size()),
                                url.host.data(), close, static_cast<unsigned>(url.port));
    if (n < 0 || static_cast<size_t>(n) >= size) return 0;
    return static_cast<size_t>(n);
}

}  // namespace coronet::websocket
