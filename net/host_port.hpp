// "name:80", "10.0.2.2:80" or "[fd00::1]:80" split into host and port, resolving nothing. Pure
// text handling, apart from net/ip_address.hpp so that boot-option parsers can be host-tested.
#pragma once

#include <cstdint>
#include <string_view>

namespace coronet::net {

struct HostPort {
    std::string_view host;
    uint16_t port = 0;
};

// The port is required (1 to 65535). The host is a view into `text`, without brackets.
bool split_host_port(std::string_view text, HostPort& out);

}  // namespace coronet::net
