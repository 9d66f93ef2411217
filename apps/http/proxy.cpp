// The reverse proxy's request path and its upstreams' health (see proxy.hpp). One request runs
// in the client connection's coroutine from start to end: pick an upstream, take a pooled
// connection, write the head, stream the body, read the response head, stream the response.
#include "apps/http/proxy.hpp"

#include <cstdio>
#include <cstring>
#include <new>

#include "apps/http/forwarding.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/defer.hpp"
#include "net/ip_address.hpp"
#include "net/tunnel.hpp"

namespace coronet::http {

struct ReverseProxy::Upstream {
    explicit Upstream(const PoolOptions& options) : pool(options) {}

    bool up(sched::Deadline now) const { return !checked_down && now >= down_until; }

    ConnectionPool pool;
    char name[64] = {};
    uint32_t fails = 0;              // in a row
    sched::Deadline down_until = 0;  // passive health
    bool checked_down = false;       // active health
    uint64_t requests = 0;
    uint64_t failures = 0;
    uint64_t in_flight = 0;
    uint64_t latency_total = 0;
    uint64_t latency_max = 0;
};

namespace {

// Fields the proxy writes itself: the client's values are folded into ours or replaced.
bool rewritten(std::string_view name) {
    return equals_ignore_case(name, "Host") || equals_ignore_case(name, "X-Forwarded-For") ||
           equals_ignore_case(name, "X-Forwarded-Proto") ||
           equals_ignore_case(name, "X-Forwarded-Host") || equals_ignore_case(name, "Forwarded") ||
           equals_ignore_case(name, "Expect");  // we answered 100-continue ourselves
}

// A method whose request may be sent twice with the effect of once (RFC 9110, 9.2.2): what an
// upstream that failed before answering may be retried with.
bool idempotent(Method method) {
    return method == Method::Get || method == Method::Head || method == Method::Options ||
           method == Method::Trace || method == Method::Put || method == Method::Delete;
}

Result<void> answer(Response& response, uint16_t status, std::string_view body) {
    response.set_status(status);
    return response.send(body);
}

void record_failure(ReverseProxy::Upstream& upstream, uint32_t max_fails, uint64_t fail_timeout) {
    ++upstream.failures;
    if (++upstream.fails >= max_fails) {
        if (upstream.down_until <= sched::now())
            LOG_WARN("proxy: upstream %s failing; left out for %llu ms", upstream.name,
                     static_cast<unsigned long long>(fail_timeout / kMillisecond));
        upstream.down_until = sched::now() + fail_timeout;
    }
}

void record_success(ReverseProxy::Upstream& upstream, uint64_t latency) {
    upstream.fails = 0;
    upstream.down_until = 0;
    ++upstream.requests;
    upstream.latency_total += latency;
    if (latency > upstream.latency_max) upstream.latency_max = latency;
}

// The protocol a request asks to switch to (a WebSocket upgrade: "websocket"), or empty.
std::string_view upgrade_of(const Request& request) {
    std::string_view upgrade = request.header("Upgrade");
    return list_contains(request.header("Connection"), "upgrade") ? upgrade : std::string_view{};
}

// The request head towards the upstream: the client's fields less the hop-by-hop ones, then
// ours saying who asked (X-Forwarded-*, RFC 7239 Forwarded), and an upgrade passed on.
Result<void> write_head(ClientConnection& upstream, const Request& request,
                        const Exchange& exchange, std::string_view target, std::string_view host) {
    TRY_VOID(upstream.begin_request(request.method_text, target, host));
    if (std::string_view upgrade = upgrade_of(request); !upgrade.empty()) {
        TRY_VOID(upstream.add_field("Connection", "upgrade"));
        TRY_VOID(upstream.add_field("Upgrade", upgrade));
    }
    std::string_view connection = request.header("Connection");
    for (size_t i = 0; i < request.header_count; ++i) {
        const Header& field = request.headers[i];
        if (!forwardable(field, connection) || rewritten(field.name)) continue;
        TRY_VOID(upstream.add_field(field.name, field.value));
    }
    char client[IPADDR_STRLEN_MAX] = "unknown";
    if (exchange.connection) {
        net::Endpoint peer = exchange.connection->stream().peer();
        ipaddr_ntoa_r(&peer.address, client, sizeof client);
    }
    char value[512];
    std::string_view earlier = request.header("X-Forwarded-For");
    int n = earlier.empty() ? snprintf(value, sizeof value, "%s", client)
                            : snprintf(value, sizeof value, "%.*s, %s",
                                       static_cast<int>(earlier.size()), earlier.data(), client);
    if (n > 0 && size_t(n) < sizeof value) TRY_VOID(upstream.add_field("X-Forwarded-For", value));
    TRY_VOID(upstream.add_field("X-Forwarded-Proto", "http"));
    if (!request.host.empty()) TRY_VOID(upstream.add_field("X-Forwarded-Host", request.host));
    bool v6 = std::string_view(client).find(':') != std::string_view::npos;
    n = snprintf(value, sizeof value, v6 ? "for=\"[%s]\";proto=http" : "for=%s;proto=http", client);
    if (n > 0 && size_t(n) < sizeof value) TRY_VOID(upstream.add_field("Forwarded", value));
    RequestBodyFraming framing{request.framing, request.content_length};
    return upstream.end_head(framing);
}

}  // namespace

ProxyOptions proxy_options(const ProxySpec& spec, const ProxyOptions& shared) {
    ProxyOptions options = shared;
    options.prefix = spec.prefix;
    options.upstream_count = spec.upstream_count;
    for (size_t i = 0; i < spec.upstream_count; ++i) options.upstreams[i] = spec.upstreams[i];
    options.strip_prefix = spec.strip_prefix;
    if (spec.balance) options.balance = *spec.balance;
    if (spec.health_path) options.health_path = *spec.health_path;
    if (spec.health_interval_ms) options.health_interval_ns = ms_to_ns(*spec.health_interval_ms);
    if (spec.max_fails) options.max_fails = *spec.max_fails;
    if (spec.fail_timeout_ms) options.fail_timeout_ns = ms_to_ns(*spec.fail_timeout_ms);
    if (spec.tunnel_timeout_ms) options.tunnel_timeout_ns = ms_to_ns(*spec.tunnel_timeout_ms);
    ClientTimeouts& timeouts = options.pool.timeouts;
    if (spec.connect_timeout_ms) timeouts.connect_ns = ms_to_ns(*spec.connect_timeout_ms);
    if (spec.timeout_ms) timeouts.first_byte_ns = timeouts.body_ns = ms_to_ns(*spec.timeout_ms);
    return options;
}

Result<ReverseProxy*> ReverseProxy::create(const ProxyOptions& options) {
    if (options.upstream_count == 0 || options.upstream_count > kMaxUpstreams)
        return Error::InvalidArgument;
    auto* proxy = new (std::nothrow) ReverseProxy(options);
    if (!proxy) return Error::OutOfMemory;
    for (size_t i = 0; i < options.upstream_count; ++i) {
        PoolOptions pool = options.pool;
        pool.host = options.upstreams[i].host;
        pool.port = options.upstreams[i].port;
        auto* upstream = new (std::nothrow) Upstream(pool);
        if (!upstream) return Error::OutOfMemory;  // at boot: the image reports it and goes on
        snprintf(upstream->name, sizeof upstream->name, "%.*s:%u",
                 static_cast<int>(pool.host.size()), pool.host.data(), pool.port);
        proxy->m_upstreams[i] = upstream;
    }
    return proxy;
}

Result<void> ReverseProxy::install(Router& router) {
    RouteOptions streaming{.stream_body = true};
    // "/api" itself, and everything below it ("/api/*rest"): the pattern must outlive the router.
    size_t length = m_options.prefix.size();
    auto* below = new (std::nothrow) char[length + 7];
    if (!below) return Error::OutOfMemory;
    snprintf(below, length + 7, "%.*s/*rest", static_cast<int>(length), m_options.prefix.data());
    TRY_VOID(router.add_any(m_options.prefix, handle, this, streaming));
    return router.add_any(below, handle, this, streaming);
}

ReverseProxy::Upstream* ReverseProxy::pick(const Tried& tried) {
    size_t count = m_options.upstream_count;
    sched::Deadline now = sched::now();
    Upstream* chosen = nullptr;
    for (size_t i = 0; i < count; ++i) {
        Upstream* candidate = m_upstreams[(m_next + i) % count];
        if (tried.has(candidate) || !candidate->up(now)) continue;
        if (m_options.balance == Balance::RoundRobin) {
            chosen = candidate;
            m_next = (m_next + i + 1) % count;
            break;
        }
        if (!chosen || candidate->in_flight < chosen->in_flight) chosen = candidate;
    }
    if (chosen && m_options.balance == Balance::LeastConnections) m_next = (m_next + 1) % count;
    if (chosen) return chosen;
    // Every upstream is left out after failures: try the one that has been out longest, as
    // real traffic is how passive health finds it back (not one an active check took down).
    for (size_t i = 0; i < count; ++i) {
        Upstream* candidate = m_upstreams[i];
        if (tried.has(candidate) || candidate->checked_down) continue;
        if (!chosen || candidate->down_until < chosen->down_until) chosen = candidate;
    }
    return chosen;
}

Result<void> ReverseProxy::handle(Exchange& exchange) {
    return static_cast<ReverseProxy*>(exchange.context)->forward(exchange);
}

Result<void> ReverseProxy::forward(Exchange& exchange) {
    const Request& request = exchange.request;
    Response& response = exchange.response;
    const ClientTimeouts& timeouts = m_options.pool.timeouts;
    bool has_body = request.framing != BodyFraming::None;
    // What the upstream is asked for: the client's target, or with the prefix stripped ("/api"
    // alone becomes "/", which only a request for exactly the prefix needs written out).
    bool needs_slash = false;
    std::string_view target =
        upstream_target(request.target, m_options.prefix, m_options.strip_prefix, needs_slash);
    char* slashed = nullptr;
    auto free_slashed = defer([&slashed] { delete[] slashed; });
    if (needs_slash) {
        slashed = new (std::nothrow) char[target.size() + 1];
        if (!slashed) return answer(response, 503, "Service Unavailable: out of memory\n");
        slashed[0] = '/';
        memcpy(slashed + 1, target.data(), target.size());
        target = {slashed, target.size() + 1};
    }
    // Another upstream is tried when one cannot be reached, or, for an idempotent request
    // without a body, when its connection breaks before it answers (nginx's
    // `proxy_next_upstream error`); each upstream once. A pooled connection the upstream had
    // closed meanwhile is not its failure: such a request goes to it again, once, on a new
    // connection (its other idle ones are likely as old). Anything else is never sent twice.
    Tried tried;
    Upstream* again = nullptr;
    bool stale_retried = false;
    for (;;) {
        Upstream* upstream = again ? again : pick(tried);
        again = nullptr;
        if (!upstream) break;
        ++upstream->in_flight;
        auto leaving = defer([upstream] { --upstream->in_flight; });
        bool reused = false;
        auto acquired = upstream->pool.acquire(sched::now() + timeouts.connect_ns, &reused);
        if (!acquired) {
            record_failure(*upstream, m_options.max_fails, m_options.fail_timeout_ns);
            tried.add(upstream);
            continue;
        }
        PooledConnection connection(upstream->pool, *acquired);
        uint64_t started = sched::now();
        std::string_view host = request.host.empty() ? upstream->pool.options().host : request.host;
        auto sent = write_head(*connection, request, exchange, target, host);
        while (sent && has_body) {
            auto piece = exchange.read_body();
            if (!piece) {  // the client's fault: the upstream connection cannot be reused
                connection.discard();
                Error error = piece.error();
                if (error == Error::Malformed) return answer(response, 400, "Bad Request: body\n");
                if (error == Error::Timeout)
                    return answer(response, 408, "Request Timeout: body did not arrive\n");
                return error;
            }
            if (piece->empty()) break;
            sent = connection->write_body(*piece);
        }
        if (sent) sent = connection->end_request();
        Result<const ResponseHead*> head = Error::Closed;
        if (sent)
            head = connection->read_head(request.method, sched::now() + timeouts.first_byte_ns);
        if (!head) {
            Error error = sent ? head.error() : sent.error();
            connection.discard();
            bool retriable = !has_body && idempotent(request.method) &&
                             (error == Error::Closed || error == Error::Reset);
            if (retriable && reused && !stale_retried) {
                stale_retried = true;
                upstream->pool.close_idle();
                again = upstream;
                continue;
            }
            record_failure(*upstream, m_options.max_fails, m_options.fail_timeout_ns);
            if (retriable) {
                tried.add(upstream);
                continue;
            }
            if (error == Error::Timeout)
                return answer(response, 504,
                              "Gateway Timeout: the upstream did not answer in time\n");
            return answer(response, 502, "Bad Gateway: the upstream failed\n");
        }
        record_success(*upstream, sched::now() - started);
        if ((*head)->status == 101) {  // the connection speaks another protocol from here on
            if (!upgrade_of(request).empty() && exchange.connection)
                return tunnel(exchange, **head, connection);
            connection.discard();
            return answer(response, 502, "Bad Gateway: the upstream switched protocols unasked\n");
        }
        TRY_VOID(relay_head(response, **head, request, *upstream));
        for (;;) {
            auto piece = connection->read_body(sched::now() + timeouts.body_ns);
            if (!piece) {  // cut short: the client sees the connection end, not a whole body
                record_failure(*upstream, m_options.max_fails, m_options.fail_timeout_ns);
                connection.discard();
                return piece.error();
            }
            if (piece->empty()) break;
            TRY_VOID(response.write(*piece));
        }
        return response.end();
    }
    ++m_no_upstream;
    return answer(response, 502, "Bad Gateway: no upstream answered\n");
}

// Begins the client's response with the upstream's head, a Location in it pointed back through
// the proxy (client_location(); the copies only for a response that has one).
Result<void> ReverseProxy::relay_head(Response& response, const ResponseHead& head,
                                      const Request& request, const Upstream& upstream) const {
    response.set_status(head.status);
    bool has_length =
        !head.header("Content-Length").empty() && head.framing != BodyFraming::Chunked;
    const uint64_t* length = has_length ? &head.content_length : nullptr;
    std::string_view connection = head.header("Connection");
    std::string_view location = head.header("Location");
    if (location.empty())
        return response.begin_relay(head.headers, head.header_count, connection, length);
    const PoolOptions& origin = upstream.pool.options();
    LocationContext context{.prefix = m_options.prefix,
                            .strip = m_options.strip_prefix,
                            .upstream_host = origin.host,
                            .upstream_port = origin.port,
                            .client_host = request.host};
    char* text = new (std::nothrow) char[client_location_capacity(location, context)];
    auto* fields = new (std::nothrow) Header[head.header_count];
    auto free_copies = defer([text, fields] {
        delete[] text;
        delete[] fields;
    });
    if (!text || !fields) return Error::OutOfMemory;
    std::string_view rewritten = client_location(location, context, text);
    for (size_t i = 0; i < head.header_count; ++i) {
        fields[i] = head.headers[i];
        if (equals_ignore_case(fields[i].name, "Location")) fields[i].value = rewritten;
    }
    return response.begin_relay(fields, head.header_count, connection, length);
}

// The upstream agreed to switch protocols (101): the client gets the 101, and from then on
// the two connections are joined (net/tunnel.hpp) until both directions end. The upstream's
// connection leaves its pool at once: never reused, nor counted against the pool's limit while
// the tunnel lasts.
Result<void> ReverseProxy::tunnel(Exchange& exchange, const ResponseHead& head,
                                  PooledConnection& pooled) {
    ClientConnection* upstream = pooled.detach();
    auto close_upstream = defer([upstream] {
        upstream->close();
        delete upstream;
    });
    // From here the client's connection is no longer HTTP's: it ends when this returns.
    net::BufferedStream& client = exchange.switch_protocols();
    Output& out = client.output();
    std::string_view connection = head.header("Connection");
    TRY_VOID(out.append("HTTP/1.1 101 Switching Protocols\r\n"));
    for (size_t i = 0; i < head.header_count; ++i) {
        const Header& field = head.headers[i];
        if (!forwardable(field, connection)) continue;
        TRY_VOID(out.append(field.name));
        TRY_VOID(out.append(": "));
        TRY_VOID(out.append(field.value));
        TRY_VOID(out.append("\r\n"));
    }
    TRY_VOID(out.append("Connection: Upgrade\r\nUpgrade: "));
    TRY_VOID(out.append(head.header("Upgrade")));
    TRY_VOID(out.append("\r\n\r\n"));
    TRY_VOID(out.flush());
    ++m_tunnels;
    return net::tunnel(client, upstream->switch_protocols(), m_options.tunnel_timeout_ns);
}

Result<void> ReverseProxy::start_health_checks() {
    if (m_options.health_path.empty()) return {};
    auto started =
        sched::spawn([this] { health_main(); },
                     {.name = "proxy-health", .stack_size = 32 * 1024, .detached = true});
    if (!started) return started.error();
    return {};
}

// Each upstream in turn is asked for the health path; its answer decides whether it is up.
void ReverseProxy::health_main() {
    for (;;) {
        for (size_t i = 0; i < m_options.upstream_count; ++i) {
            Upstream& upstream = *m_upstreams[i];
            sched::Deadline deadline = sched::now() + m_options.health_interval_ns;
            bool healthy = false;
            if (auto acquired = upstream.pool.acquire(deadline)) {
                PooledConnection connection(upstream.pool, *acquired);
                auto head = [&]() -> Result<const ResponseHead*> {
                    TRY_VOID(connection->begin_request("GET", m_options.health_path,
                                                       upstream.pool.options().host));
                    TRY_VOID(connection->end_head({}));
                    TRY_VOID(connection->end_request());
                    return connection->read_head(Method::Get, deadline);
                }();
                healthy = head && (*head)->status >= 200 && (*head)->status < 400;
                while (healthy) {  // drained, so the connection can serve traffic next
                    auto piece = connection->read_body(deadline);
                    if (!piece || piece->empty()) break;
                }
                if (!head) connection.discard();
            }
            if (healthy == upstream.checked_down) {
                LOG_INFO("proxy: upstream %s is %s (health check %.*s)", upstream.name,
                         healthy ? "up" : "down", static_cast<int>(m_options.health_path.size()),
                         m_options.health_path.data());
            }
            upstream.checked_down = !healthy;
            if (healthy) upstream.down_until = 0;
        }
        sched::sleep_for(m_options.health_interval_ns);
    }
}

UpstreamStats ReverseProxy::upstream_stats(size_t index) const {
    const Upstream& upstream = *m_upstreams[index];
    UpstreamStats stats{};
    snprintf(stats.name, sizeof stats.name, "%s", upstream.name);
    stats.up = upstream.up(sched::now());
    stats.pool = upstream.pool.stats();
    stats.requests = upstream.requests;
    stats.failures = upstream.failures;
    stats.in_flight = upstream.in_flight;
    stats.latency_ns_total = upstream.latency_total;
    stats.latency_ns_max = upstream.latency_max;
    return stats;
}

}  // namespace coronet::http
