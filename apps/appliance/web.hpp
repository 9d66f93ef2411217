// The appliance's HTTP app: hello on `/` (the benchmark route), `/status` (JSON), `/dashboard`
// and the rest of the embedded www/ bundle (/chat, a chat room), `POST /echo` (returns the request body), the
// WebSocket endpoints under /ws/ (apps/appliance/sockets.hpp), and reverse-proxied prefixes.
#pragma once

#include "apps/http/proxy.hpp"
#include "apps/http/server.hpp"
#include "apps/iperf3/server.hpp"
#include "apps/redis/server.hpp"
#include "apps/websocket/endpoint.hpp"
#include "lib/result.hpp"

namespace coronet::apps {

// The reverse proxies to put in front of the bundle (http.proxy options).
struct ProxyList {
    const http::ProxyOptions* options;
    size_t count;
};

// Starts the web server with the routes above; the composition root chose the options (boot
// options http.*, ws.*). `/status` also reports the Redis and iperf3 servers when there are
// any, and each proxy's upstreams.
Result<void> start_web(const http::ServerOptions& options,
                       const websocket::EndpointOptions& socket_options, redis::Server* redis,
                       iperf3::Server* iperf3, const ProxyList& proxies);

}  // namespace coronet::apps
