// A reverse proxy: requests under a path prefix go to a group of upstream servers, picked round
// robin or by fewest requests in flight, over pooled keep-alive connections (client_pool.hpp).
// Bodies stream through in both directions, never held whole. An upstream that fails is
// skipped for a while (passive health); with a health path set, each upstream is also asked
// for it periodically (active health). A request goes to another upstream when one cannot be
// reached, or breaks an idempotent bodiless request before answering. 502 when no upstream
// answers, 504 when the chosen one does not answer in time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/client_pool.hpp"
#include "apps/http/proxy_spec.hpp"
#include "apps/http/router.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"

namespace coronet::http {

inline constexpr size_t kMaxProxies = 8;  // proxied prefixes per image

struct ProxyOptions {
    std::string_view prefix;  // "/api": the path itself and everything under it
    UpstreamAddress upstreams[kMaxUpstreams];
    size_t upstream_count = 0;
    bool strip_prefix = false;  // the upstream sees /api/users as /users
    Balance balance = Balance::RoundRobin;
    // Passive health: after `max_fails` failures in a row an upstream is left out for
    // `fail_timeout_ns` (then tried again with real traffic).
    uint32_t max_fails = 1;
    uint64_t fail_timeout_ns = 10 * kSecond;
    // Active health: GET health_path on each upstream every health_interval; a 2xx or 3xx
    // keeps it (or brings it back) up, anything else takes it down. Empty: no checks.
    std::string_view health_path;
    uint64_t health_interval_ns = 5 * kSecond;
    // A tunnel (a protocol switched to, e.g. a WebSocket) no byte has crossed for this long is
    // closed; 0: never.
    uint64_t tunnel_timeout_ns = 3600 * kSecond;
    PoolOptions pool;  // its host and port are set per upstream
};

struct UpstreamStats {
    char name[64];  // host:port as configured
    bool up;
    PoolStats pool;
    uint64_t requests;          // answered by it (any status)
    uint64_t failures;          // connect failures, timeouts, broken responses
    uint64_t in_flight;         // requests being proxied to it now
    uint64_t latency_ns_total;  // time to the response head, over `requests`
    uint64_t latency_ns_max;
};

// One prefix's options: its spec (the http.proxy option) over the options all prefixes share.
// Views into the spec's text, which must outlive the proxy.
ProxyOptions proxy_options(const ProxySpec& spec, const ProxyOptions& shared);

class ReverseProxy {
public:
    // The upstreams are not contacted until the first request (or health check).
    static Result<ReverseProxy*> create(const ProxyOptions& options);

    // Routes every method on the prefix and below it to this proxy (streaming bodies).
    Result<void> install(Router& router);
    // Starts the active health checks, if a health path is set.
    Result<void> start_health_checks();

    std::string_view prefix() const { return m_options.prefix; }
    size_t upstream_count() const { return m_options.upstream_count; }
    UpstreamStats upstream_stats(size_t index) const;
    // 502s: no upstream answered (each was down, unreachable, or failed an idempotent request)
    uint64_t no_upstream() const { return m_no_upstream; }
    uint64_t tunnels() const { return m_tunnels; }  // protocol switches passed through (101)

    struct Upstream;  // proxy.cpp

private:
    // The upstreams one request has failed on.
    struct Tried {
        const Upstream* upstreams[kMaxUpstreams] = {};
        size_t count = 0;

        bool has(const Upstream* upstream) const {
            for (size_t i = 0; i < count; ++i)
                if (upstreams[i] == upstream) return true;
            return false;
        }
        void add(const Upstream* upstream) {
            if (count < kMaxUpstreams && !has(upstream)) upstreams[count++] = upstream;
        }
    };

    explicit ReverseProxy(const ProxyOptions& options) : m_options(options) {}
    static Result<void> handle(Exchange& exchange);
    Result<void> forward(Exchange& exchange);
    Result<void> relay_head(Response& response, const ResponseHead& head, const Request& request,
                            const Upstream& upstream) const;
    Result<void> tunnel(Exchange& exchange, const ResponseHead& head, PooledConnection& upstream);
    Upstream* pick(const Tried& tried);
    void health_main();

    ProxyOptions m_options;
    Upstream* m_upstreams[kMaxUpstreams] = {};
    size_t m_next = 0;  // round robin
    uint64_t m_no_upstream = 0;
    uint64_t m_tunnels = 0;
};

}  // namespace coronet::http
