// Hop-by-hop filtering for the proxy and the client (see forwarding.hpp).
#include "apps/http/forwarding.hpp"

namespace coronet::http {
namespace {

constexpr std::string_view kHopByHop[] = {
    "Connection", "Keep-Alive",        "Proxy-Connection", "TE",
    "Trailer",    "Transfer-Encoding", "Upgrade",          "Content-Length",
};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

bool list_contains(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        size_t comma = list.find(',');
        if (equals_ignore_case(trim(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

bool forwardable(const Header& field, std::string_view connection) {
    for (std::string_view name : kHopByHop)
        if (equals_ignore_case(field.name, name)) return false;
    return !list_contains(connection, field.name);
}

}  // namespace coronet::http
