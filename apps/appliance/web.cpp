// Routes of the default image and the server they run on.
#include "apps/appliance/web.hpp"

#include <cstdlib>
#include <new>

#include "apps/appliance/sockets.hpp"
#include "apps/appliance/status.hpp"
#include "apps/http/bundle.hpp"
#include "apps/http/server.hpp"
#include "kernel/log.hpp"

namespace coronet::apps {

extern const http::Bundle kWebBundle;  // generated from apps/appliance/www/ by the build

namespace {

constexpr std::string_view kHello = "Hello, world!\n";

Result<void> hello(http::Exchange& exchange) { return exchange.response.send(kHello); }

Result<void> status(http::Exchange& exchange) {
    auto* sources = static_cast<StatusSources*>(exchange.context);
    auto* buffer = static_cast<char*>(malloc(kStatusJsonCapacity));
    if (!buffer) {
        exchange.response.set_status(503);
        return exchange.response.send("Service Unavailable: out of memory\n");
    }
    std::string_view json = status_json(*sources, buffer, kStatusJsonCapacity);
    Result<void> sent = Error::None;
    if (json.empty()) {
        exchange.response.set_status(500);
        sent = exchange.response.send("Internal Server Error: status too large\n");
    } else {
        exchange.response.add_header("Cache-Control", "no-store");
        sent = exchange.response.send(json, "application/json");
    }
    free(buffer);
    return sent;
}

Result<void> dashboard(http::Exchange& exchange) {
    return http::serve_from_bundle(kWebBundle, "dashboard.html", exchange.request,
                                   exchange.response);
}

Result<void> chat(http::Exchange& exchange) {
    return http::serve_from_bundle(kWebBundle, "chat.html", exchange.request, exchange.response);
}

Result<void> bundle_file(http::Exchange& exchange) {
    return http::serve_from_bundle(kWebBundle, exchange.params.get("file"), exchange.request,
                                   exchange.response);
}

Result<void> echo(http::Exchange& exchange) {
    std::string_view type = exchange.request.header("Content-Type");
    return exchange.response.send(exchange.body, type.empty() ? "application/octet-stream" : type);
}

}  // namespace

Result<void> start_web(const http::ServerOptions& options,
                       const websocket::EndpointOptions& socket_options, redis::Server* redis,
                       iperf3::Server* iperf3, const ProxyList& proxies) {
    auto* router = new (std::nothrow) http::Router();
    if (!router) return Error::OutOfMemory;
    auto* server = new (std::nothrow) http::Server(*router, options);
    if (!server) return Error::OutOfMemory;
    auto* sources = new (std::nothrow) StatusSources{server, redis};
    if (!sources) return Error::OutOfMemory;
    sources->iperf3 = iperf3;

    TRY_VOID(router->add(http::Method::Get, "/", hello));
    TRY_VOID(router->add(http::Method::Get, "/status", status, sources));
    TRY_VOID(router->add(http::Method::Get, "/dashboard", dashboard));
    TRY_VOID(router->add(http::Method::Get, "/chat", chat));
    TRY_VOID(router->add(http::Method::Post, "/echo", echo));
    TRY_VOID(attach_sockets(*router, socket_options, *sources));
    for (size_t i = 0; i < proxies.count; ++i) {
        const http::ProxyOptions& proxy_options = proxies.options[i];
        auto proxy = http::ReverseProxy::create(proxy_options);
        if (!proxy || !(*proxy)->install(*router) || !(*proxy)->start_health_checks()) {
            LOG_ERROR("http: cannot proxy %.*s", static_cast<int>(proxy_options.prefix.size()),
                      proxy_options.prefix.data());
            continue;
        }
        LOG_INFO("http: proxying %.*s to %zu upstream(s)%s, %s%s",
                 static_cast<int>(proxy_options.prefix.size()), proxy_options.prefix.data(),
                 proxy_options.upstream_count,
                 proxy_options.strip_prefix ? " without the prefix" : "",
                 proxy_options.balance == http::Balance::RoundRobin ? "round robin"
                                                                    : "least connections",
                 proxy_options.health_path.empty() ? "" : ", health checked");
        sources->proxies[sources->proxy_count++] = *proxy;
    }
    TRY_VOID(router->add(http::Method::Get, "/*file", bundle_file));
    return server->start();
}

}  // namespace coronet::apps
