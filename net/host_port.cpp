// Host and port out of option text (see host_port.hpp).
#include "net/host_port.hpp"

namespace coronet::net {

bool split_host_port(std::string_view text, HostPort& out) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view host = text.substr(0, colon), digits = text.substr(colon + 1);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') return false;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return false;  // an IPv6 literal needs its brackets to be told from its port
    }
    if (digits.empty() || digits.size() > 5) return false;
    uint32_t port = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port == 0 || port > 0xFFFF) return false;
    out.host = host;
    out.port = static_cast<uint16_t>(port);
    return true;
}

}  // namespace coronet::net
