// The http.proxy option's grammar (see proxy_spec.hpp).
#include "apps/http/proxy_spec.hpp"

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

}  // namespace coronet::http
