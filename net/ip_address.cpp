// Addresses to text and back.
#include "net/ip_address.hpp"

#include <cstdio>
#include <cstring>

namespace coronet::net {

const char* format_endpoint(const Endpoint& endpoint, char* buffer, size_t length) {
    char address[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(&endpoint.address, address, sizeof address);
    if (IP_IS_V6(&endpoint.address)) snprintf(buffer, length, "[%s]:%u", address, endpoint.port);
    else snprintf(buffer, length, "%s:%u", address, endpoint.port);
    return buffer;
}

bool parse_ipv4(std::string_view text, ip4_addr_t& address) {
    char buffer[IP4ADDR_STRLEN_MAX];
    if (text.size() >= sizeof buffer) return false;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    return ip4addr_aton(buffer, &address);
}

bool parse_ipv4_with_prefix(std::string_view text, ip4_addr_t& address, ip4_addr_t& netmask) {
    size_t slash = text.find('/');
    if (!parse_ipv4(text.substr(0, slash), address)) return false;
    unsigned prefix = 24;
    if (slash != std::string_view::npos) {
        std::string_view digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 2) return false;
        prefix = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return false;
            prefix = prefix * 10 + static_cast<unsigned>(c - '0');
        }
        if (prefix > 32) return false;
    }
    ip4_addr_set_u32(&netmask, prefix ? PP_HTONL(~0U << (32 - prefix)) : 0);
    return true;
}

bool parse_ip(std::string_view text, ip_addr_t& address) {
    char buffer[IPADDR_STRLEN_MAX];
    if (text.empty() || text.size() >= sizeof buffer) return false;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    return ipaddr_aton(buffer, &address);
}

}  // namespace coronet::net
