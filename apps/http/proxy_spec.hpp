// The http.proxy boot option's value, parsed: which prefix goes to which upstreams, and the
// settings this prefix alone overrides; and how a prefix maps a request's target on the way in
// and a redirect's Location on the way out. Pure text handling, host-tested.
//
//   PREFIX=HOST:PORT[,HOST:PORT...][;OPTION...]
//
// OPTIONs: `strip` (the upstream sees the path without the prefix: /api/users -> /users),
// `balance=round_robin|least_conn`, `health=/PATH|off`, and `health_interval_ms`,
// `timeout_ms`, `connect_timeout_ms`, `max_fails`, `fail_timeout_ms`, `tunnel_timeout_ms` with a
// number; the rest come from the shared http.proxy_* options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/result.hpp"

namespace coronet::http {

inline constexpr size_t kMaxUpstreams = 8;  // per proxied prefix

enum class Balance : uint8_t { RoundRobin, LeastConnections };

struct UpstreamAddress {
    std::string_view host;  // a name (resolved through DNS) or an address literal
    uint16_t port = 0;
};

struct ProxySpec {
    std::string_view prefix;  // "/api": the path itself and everything under it
    UpstreamAddress upstreams[kMaxUpstreams];
    size_t upstream_count = 0;
    bool strip_prefix = false;
    // Set only where the option names them; views into the option's text.
    std::optional<Balance> balance;
    std::optional<std::string_view> health_path;  // empty: no active checks for this prefix
    std::optional<uint64_t> health_interval_ms;
    std::optional<uint64_t> timeout_ms;
    std::optional<uint64_t> connect_timeout_ms;
    std::optional<uint32_t> max_fails;
    std::optional<uint64_t> fail_timeout_ms;
    std::optional<uint64_t> tunnel_timeout_ms;
};

// `spec` must outlive the result (it holds views into it). InvalidArgument for a malformed
// prefix, upstream or option (an unknown option name included), LimitReached beyond
// kMaxUpstreams.
Result<ProxySpec> parse_proxy_spec(std::string_view spec);

// The request-target the upstream is sent for `target`, which lies under `prefix`: as it is,
// or with the prefix stripped. Stripping "/api" from "/api" or "/api?x=1" leaves no path;
// `needs_slash` then says the upstream target is "/" followed by what is returned.
std::string_view upstream_target(std::string_view target, std::string_view prefix, bool strip,
                                 bool& needs_slash);

// What a Location from an upstream is rewritten against.
struct LocationContext {
    std::string_view prefix;
    bool strip = false;
    std::string_view upstream_host;  // as the proxy reaches it (no brackets), and its port
    uint16_t upstream_port = 0;
    std::string_view client_host;  // the request's Host
};

// Room client_location() may need for `location`.
inline size_t client_location_capacity(std::string_view location, const LocationContext& c) {
    return location.size() + c.prefix.size() + 1;
}

// A Location an upstream sent, as its client must see it (nginx's `proxy_redirect default`,
// carried over to a stripped prefix):
// - an http:// URL of the upstream's own origin, which the client cannot reach, becomes a path
//   on the proxy: http://10.0.0.5:8080/users -> /users, and /api/users under `strip`;
// - under `strip`, the upstream does not know its prefix: a path from its root goes back
//   under it (/login -> /api/login), and so does a URL on the client's own Host, as an upstream
//   building URLs from the forwarded Host makes (http://example.com/login ->
//   http://example.com/api/login);
// - anything else (a relative reference, another site) is returned as it is.
// A rewritten value is written into `buffer` (client_location_capacity() bytes).
std::string_view client_location(std::string_view location, const LocationContext& context,
                                 char* buffer);

}  // namespace coronet::http
