// The appliance's live status as JSON (GET /status): what the dashboard page renders.
#pragma once

#include <cstddef>
#include <string_view>

#include "apps/http/proxy.hpp"
#include "apps/http/server.hpp"
#include "apps/iperf3/server.hpp"
#include "apps/redis/server.hpp"
#include "apps/websocket/endpoint.hpp"

namespace coronet::apps {

inline constexpr size_t kStatusJsonCapacity = 16384;
inline constexpr size_t kMaxStatusEndpoints = 4;  // WebSocket endpoints shown, summed

// The apps whose counters the document shows (the Redis and iperf3 servers are absent when they
// did not start).
struct StatusSources {
    http::Server* http = nullptr;
    redis::Server* redis = nullptr;
    websocket::Endpoint* websocket[kMaxStatusEndpoints] = {};
    size_t websocket_count = 0;
    http::ReverseProxy* proxies[http::kMaxProxies] = {};
    size_t proxy_count = 0;
    iperf3::Server* iperf3 = nullptr;
};

// Remembers the heap in use and the stack pages mapped with every app up and no connection yet:
// what connections add afterwards is their cost (bytes_per_connection). Call it from a coroutine
// spawned after the apps started, so that their listeners have run and touched their stacks.
void mark_memory_baseline();

// Writes the status document into `buffer` (heap memory: its bytes are not counted as the
// connections' state); returns it, or an empty view if it did not fit.
std::string_view status_json(const StatusSources& sources, char* buffer, size_t capacity);

}  // namespace coronet::apps
