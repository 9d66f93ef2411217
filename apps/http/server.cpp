// Listening, and the server-wide state connections share (counters, the Date cache).
#include "apps/http/server.hpp"

#include "apps/http/connection.hpp"
#include "apps/http/date.hpp"
#include "kernel/log.hpp"
#include "kernel/wall_clock.hpp"
#include "net/serve.hpp"

namespace coronet::http {

Result<void> Server::start() {
    // Handlers get the default 16 KiB stack.
    net::ServeOptions serve{.name = "http", .port = m_options.port};
    serve.listen.max_connections = m_options.max_connections;
    serve.listen.keepalive = m_options.keepalive;
    m_listener = TRY(net::serve(serve, serve_connection, this));
    LOG_INFO("http: listening on tcp port %u (at most %zu connections)", m_options.port,
             m_options.max_connections);
    return {};
}

void Server::serve_connection(net::TcpStream& stream, void* server) {
    Connection connection(*static_cast<Server*>(server), stream);  // on the coroutine's stack
    connection.run();
}

ServerStats Server::stats() const {
    ServerStats stats = m_stats;
    if (m_listener) {
        net::TcpListener::Stats connections = m_listener->stats();
        stats.connections_open = connections.open;
        stats.connections_total = connections.accepted;
        stats.connections_refused = connections.refused;
        stats.connections_reclaimed = connections.reclaimed;
        stats.max_connections = m_options.max_connections;
    }
    return stats;
}

std::string_view Server::date() {
    if (!wall_clock::available()) return {};
    uint64_t second = wall_clock::unix_seconds();
    if (second != m_date_second) {
        m_date_second = second;
        m_date_length = format_http_date(second, m_date);
    }
    return {m_date, m_date_length};
}

}  // namespace coronet::http
