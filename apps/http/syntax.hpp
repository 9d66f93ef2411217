// Small pieces of HTTP/1.1 syntax (RFC 9110 5.6) shared by the request parser, path decoding
// and conditional requests.
#pragma once

#include <string_view>

namespace coronet::http {

// OWS: optional whitespace, SP or HTAB.
inline bool is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && is_ows(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// The value of a hexadecimal digit, or -1.
inline int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Calls `visit` with each element of a comma-separated list (RFC 9110 5.6.1), whitespace
// trimmed, empty elements included; stops early when `visit` returns false (and returns false).
template <typename Visit>
bool for_each_element(std::string_view list, Visit visit) {
    for (;;) {
        size_t comma = list.find(',');
        if (!visit(trim_ows(list.substr(0, comma)))) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace coronet::http
