// The http.proxy option's grammar (see proxy_spec.hpp).
#include "apps/http/proxy_spec.hpp"

#include <cstring>

#include "apps/http/request.hpp"
#include "kernel/boot_config.hpp"
#include "net/host_port.hpp"

namespace coronet::http {

namespace {

// Splits `text` at its separators, an empty piece included ("a,", ",a" and "" have one).
class Pieces {
public:
    Pieces(std::string_view text, char separator) : m_rest(text), m_separator(separator) {}

    bool done() const { return m_done; }
    std::string_view next() {
        size_t at = m_rest.find(m_separator);
        std::string_view piece = m_rest.substr(0, at);
        m_done = at == std::string_view::npos;
        m_rest = m_done ? std::string_view{} : m_rest.substr(at + 1);
        return piece;
    }

private:
    std::string_view m_rest;
    char m_separator;
    bool m_done = false;
};

template <typename T>
bool parse_count(std::string_view text, std::optional<T>& out) {
    auto value = BootConfig::parse_number(text);
    if (!value || *value > T(~T{0})) return false;
    out = static_cast<T>(*value);
    return true;
}

bool parse_option(std::string_view option, ProxySpec& spec) {
    size_t equals = option.find('=');
    std::string_view name = option.substr(0, equals);
    if (equals == std::string_view::npos) {
        if (name != "strip") return false;
        spec.strip_prefix = true;
        return true;
    }
    std::string_view value = option.substr(equals + 1);
    if (name == "balance") {
        if (value == "round_robin") spec.balance = Balance::RoundRobin;
        else if (value == "least_conn") spec.balance = Balance::LeastConnections;
        else return false;
        return true;
    }
    if (name == "health") {
        if (value == "off") spec.health_path = std::string_view{};
        else if (value.size() > 1 && value.front() == '/') spec.health_path = value;
        else return false;
        return true;
    }
    if (name == "health_interval_ms") return parse_count(value, spec.health_interval_ms);
    if (name == "timeout_ms") return parse_count(value, spec.timeout_ms);
    if (name == "connect_timeout_ms") return parse_count(value, spec.connect_timeout_ms);
    if (name == "max_fails") return parse_count(value, spec.max_fails);
    if (name == "fail_timeout_ms") return parse_count(value, spec.fail_timeout_ms);
    if (name == "tunnel_timeout_ms") return parse_count(value, spec.tunnel_timeout_ms);
    return false;
}

}  // namespace

Result<ProxySpec> parse_proxy_spec(std::string_view text) {
    ProxySpec spec;
    Pieces sections(text, ';');
    std::string_view list = sections.next();
    size_t equals = list.find('=');
    if (equals == std::string_view::npos) return Error::InvalidArgument;
    std::string_view prefix = list.substr(0, equals);
    if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() == '/' ||
        prefix.find_first_of("*?") != std::string_view::npos)
        return Error::InvalidArgument;
    spec.prefix = prefix;
    for (Pieces upstreams(list.substr(equals + 1), ','); !upstreams.done();) {
        net::HostPort address;
        if (!net::split_host_port(upstreams.next(), address) || address.host.empty())
            return Error::InvalidArgument;
        if (spec.upstream_count == kMaxUpstreams) return Error::LimitReached;
        spec.upstreams[spec.upstream_count++] = {address.host, address.port};
    }
    while (!sections.done()) {
        if (!parse_option(sections.next(), spec)) return Error::InvalidArgument;
    }
    return spec;
}

std::string_view upstream_target(std::string_view target, std::string_view prefix, bool strip,
                                 bool& needs_slash) {
    needs_slash = false;
    if (!strip || target.substr(0, prefix.size()) != prefix) return target;
    std::string_view rest = target.substr(prefix.size());
    needs_slash = rest.empty() || rest.front() != '/';
    return rest;
}

namespace {

constexpr uint16_t kHttpPort = 80;
constexpr uint16_t kHttpsPort = 443;

// An authority ("host", "host:port", "[v6]", "[v6]:port") as host and port (`default_port` when
// it names none); false when the port is not a number.
bool split_authority(std::string_view authority, uint16_t default_port, net::HostPort& out) {
    size_t colon = authority.rfind(':');
    size_t bracket = authority.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket))
        return net::split_host_port(authority, out);
    if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']')
        authority = authority.substr(1, authority.size() - 2);
    out = {authority, default_port};
    return true;
}

// Whether two authorities name the same host and port.
bool same_origin(std::string_view a, std::string_view b, uint16_t default_port) {
    net::HostPort x, y;
    return split_authority(a, default_port, x) && split_authority(b, default_port, y) &&
           x.port == y.port && equals_ignore_case(x.host, y.host);
}

// Joins the pieces into `buffer`.
std::string_view join(char* buffer, std::initializer_list<std::string_view> pieces) {
    size_t length = 0;
    for (std::string_view piece : pieces) {
        memcpy(buffer + length, piece.data(), piece.size());
        length += piece.size();
    }
    return {buffer, length};
}

}  // namespace

std::string_view client_location(std::string_view location, const LocationContext& context,
                                 char* buffer) {
    size_t scheme_end = location.find("://");
    // "://" after a path, query or fragment has begun is no scheme's (/login?next=http://x/).
    if (scheme_end != std::string_view::npos &&
        location.substr(0, scheme_end).find_first_of("/?#") != std::string_view::npos)
        scheme_end = std::string_view::npos;
    if (scheme_end == std::string_view::npos) {
        bool from_root = location.size() > 0 && location[0] == '/' &&
                         (location.size() == 1 || location[1] != '/');
        return context.strip && from_root ? join(buffer, {context.prefix, location}) : location;
    }
    std::string_view scheme = location.substr(0, scheme_end);
    bool http = equals_ignore_case(scheme, "http");
    if (!http && !equals_ignore_case(scheme, "https")) return location;
    std::string_view after = location.substr(scheme_end + 3);
    size_t authority_end = after.find_first_of("/?#");
    std::string_view authority = after.substr(0, authority_end);
    std::string_view rest =
        authority_end == std::string_view::npos ? std::string_view{} : after.substr(authority_end);
    // The path "/" when the URL has none ("http://host" or "http://host?x").
    std::string_view slash = rest.empty() || rest[0] != '/' ? "/" : "";
    std::string_view prefix = context.strip ? context.prefix : std::string_view{};
    net::HostPort named;
    if (http && split_authority(authority, kHttpPort, named) &&
        named.port == context.upstream_port &&
        equals_ignore_case(named.host, context.upstream_host))
        return join(buffer, {prefix, slash, rest});
    if (context.strip && !context.client_host.empty() &&
        same_origin(authority, context.client_host, http ? kHttpPort : kHttpsPort))
        return join(buffer, {location.substr(0, scheme_end + 3), authority, prefix, slash, rest});
    return location;
}

}  // namespace coronet::http
