// The HTTP/1.1 server: a listener, an acceptor coroutine, and one coroutine per connection that
// reads requests, runs the route's handler and writes the response (apps/http/connection.cpp).
// Handlers are straight-line code; the connection's coroutine suspends whenever it waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/request.hpp"
#include "apps/http/router.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/tcp.hpp"

namespace coronet::net {
class TcpListener;
class TcpStream;
}  // namespace coronet::net

namespace coronet::http {

struct ServerOptions {
    uint16_t port = 80;
    size_t max_connections = 1000;  // further connections are refused (RST)
    net::Keepalive keepalive;       // dead peers found by TCP keep-alive
    Limits limits;
    // From the first byte of a request to the end of its head: 408.
    uint64_t header_timeout_ns = 10 * kSecond;
    uint64_t body_timeout_ns = 10 * kSecond;  // longest wait for more of a request body: 408
    // Keep-alive wait for the next request: closed quietly.
    uint64_t idle_timeout_ns = 30 * kSecond;
    uint64_t send_timeout_ns = 30 * kSecond;  // longest wait for the client to take response bytes
    uint64_t linger_ns = 2 * kSecond;         // reading what a closed client still sends, at most
};

struct ServerStats {
    uint64_t connections_open;  // these three are the listener's (net::TcpListener::stats)
    uint64_t connections_total;
    uint64_t connections_refused;    // over max_connections (or out of memory)
    uint64_t connections_reclaimed;  // idle or stalled ones closed at the limit for a new one
    size_t max_connections;
    uint64_t requests;  // complete request heads
    uint64_t responses_4xx;
    uint64_t responses_5xx;
    uint64_t timeouts;  // 408s sent
};

class Server {
public:
    Server(const Router& router, const ServerOptions& options)
        : m_router(router), m_options(options) {}
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Listens; each connection is served by a coroutine of its own (net::serve).
    Result<void> start();

    const Router& router() const { return m_router; }
    const ServerOptions& options() const { return m_options; }
    ServerStats stats() const;
    // The Date header value for now (cached for a second); empty without a wall clock.
    std::string_view date();

private:
    friend class Connection;  // keeps the counters
    ServerStats& counters() { return m_stats; }
    static void serve_connection(net::TcpStream& stream, void* server);

    const Router& m_router;
    ServerOptions m_options;
    ServerStats m_stats{};
    net::TcpListener* m_listener = nullptr;
    uint64_t m_date_second = ~0ULL;
    char m_date[32] = {};
    size_t m_date_length = 0;
};

}  // namespace coronet::http
