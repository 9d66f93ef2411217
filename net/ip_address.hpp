// IP endpoints as the socket API presents them (IPv4 or IPv6 address plus port), and the
// text forms of addresses: formatting for logs, parsing for boot options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lwip/ip_addr.h"
#include "net/host_port.hpp"  // split_host_port, for the callers parsing options

namespace coronet::net {

struct Endpoint {
    ip_addr_t address;
    uint16_t port;
};

// "10.0.2.2:5555" or "[fe80::1]:5555"; returns `buffer`.
const char* format_endpoint(const Endpoint& endpoint, char* buffer, size_t length);

// "10.0.2.15"; false when the text is not a dotted-quad IPv4 address.
bool parse_ipv4(std::string_view text, ip4_addr_t& address);
// "10.0.2.15/24" (a missing prefix means /24) into the address and its netmask.
bool parse_ipv4_with_prefix(std::string_view text, ip4_addr_t& address, ip4_addr_t& netmask);
// An IPv4 or IPv6 address literal ("10.0.2.15", "fd00::1"); false for anything else (a name).
bool parse_ip(std::string_view text, ip_addr_t& address);

}  // namespace coronet::net
