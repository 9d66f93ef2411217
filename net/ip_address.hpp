// IP endpoints as the socket API presents them (IPv4 or IPv6 address plus port).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lwip/ip_addr.h"

namespace coronet::net {

struct Endpoint {
    ip_addr_t address;
    uint16_t port;
};

// "10.0.2.2:5555" or "[fe80::1]:5555"; returns `buffer`.
const char* format_endpoint(const Endpoint& endpoint, char* buffer, size_t length);

}  // namespace coronet::net
