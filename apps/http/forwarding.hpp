// What a proxy passes on between a client and a server (RFC 9110 7.6): not the hop-by-hop
// fields (Connection, the fields it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade), nor Content-Length, since each hop frames the body itself.
#pragma once

#include <string_view>

#include "apps/http/request.hpp"

namespace coronet::http {

// `connection` is the message's Connection field value (a comma list of field names).
bool forwardable(const Header& field, std::string_view connection);

// Whether the comma-separated `list` holds `token` (case-insensitive), as in Connection values.
bool list_contains(std::string_view list, std::string_view token);

}  // namespace coronet::http
