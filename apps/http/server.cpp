// Listening, accepting, and the server-wide state connections share (counters, the Date cache).
#include "apps/http/server.hpp"

#include <new>

#include "apps/http/connection.hpp"
#include "apps/http/date.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/wall_clock.hpp"
#include "net/tcp.hpp"

namespace coronet::http {

Result<void> Server::start() {
    net::ListenOptions listen;
    listen.max_connections = m_options.max_connections;
    m_listener = TRY(net::TcpListener::bind(m_options.port, listen));
    TRY_VOID(sched::spawn(accept_loop, this, {.name = "http-accept", .detached = true}));
    LOG_INFO("http: listening on tcp port %u (at most %zu connections)", m_options.port, m_options.max_connections);
    return {};
}

void Server::accept_loop(void* argument) {
    auto* server = static_cast<Server*>(argument);
    for (;;) {
        auto stream = server->m_listener->accept();
        if (!stream) continue;
        auto* connection = new (std::nothrow) Connection(*server, stream.release_value());
        if (!connection) {
            ++server->m_stats.connections_refused;
            continue;  // the moved-from stream closed the connection
        }
        ++server->m_stats.connections_open;
        ++server->m_stats.connections_total;
        auto spawned = sched::spawn(
            [server, connection] {
                connection->run();
                delete connection;
                --server->m_stats.connections_open;
            },
            {.name = "http", .detached = true});  // handlers run on the default 16 KiB stack
        if (!spawned) {
            connection->refuse();  // out of coroutines or stacks: a reset, not a hang
            delete connection;
            --server->m_stats.connections_open;
            ++server->m_stats.connections_refused;
        }
    }
}

ServerStats Server::stats() const {
    ServerStats stats = m_stats;
    if (m_listener) stats.connections_refused += m_listener->stats().refused;
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
