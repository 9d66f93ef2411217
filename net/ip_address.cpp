// Endpoint formatting for logs.
#include "net/ip_address.hpp"

#include <cstdio>

namespace coronet::net {

const char* format_endpoint(const Endpoint& endpoint, char* buffer, size_t length) {
    char address[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(&endpoint.address, address, sizeof address);
    if (IP_IS_V6(&endpoint.address)) snprintf(buffer, length, "[%s]:%u", address, endpoint.port);
    else snprintf(buffer, length, "%s:%u", address, endpoint.port);
    return buffer;
}

}  // namespace coronet::net
