// The connection loop (parse, execute, consume; replies gathered until the connection waits
// for input, so a pipelined batch leaves in one write) and the active expiry cycle.
#include "apps/redis/server.hpp"

#include <cstdlib>

#include "apps/redis/command_parser.hpp"
#include "kernel/log.hpp"
#include "kernel/sched/scheduler.hpp"
#include "net/buffered_stream.hpp"
#include "net/serve.hpp"
#include "net/tcp.hpp"

namespace coronet::redis {

Server::Server(const ServerOptions& options) : m_options(options), m_engine(options.engine) {
    m_limits.max_bulk_length = options.engine.max_bulk_length;
}

Result<void> Server::start() {
    net::ServeOptions serve{
        .name = "redis", .port = m_options.engine.port, .stack_size = kConnectionStackSize};
    serve.listen.max_connections = m_options.engine.max_clients + kOverLimitConnections;
    serve.listen.keepalive = m_options.keepalive;
    m_listener = TRY(net::serve(serve, serve_connection, this));
    TRY_VOID(sched::spawn(expire_loop, this, {.name = "redis-expire", .detached = true}));
    TRY_VOID(sched::spawn(lazy_free_loop, this, {.name = "redis-lazyfree", .detached = true}));
    LOG_INFO("redis: listening on tcp port %u (at most %zu connections)", m_options.engine.port,
             m_options.engine.max_clients);
    return {};
}

void Server::serve_connection(net::TcpStream& stream, void* server) {
    static_cast<Server*>(server)->serve(stream);
}

void Server::serve(net::TcpStream& stream) {
    net::BufferedStream io(stream, {.max_input = m_options.engine.max_query_buffer,
                                    .send_timeout_ns = m_options.send_timeout_ns,
                                    .linger_ns = m_options.linger_ns});
    EngineStats& stats = m_engine.stats();
    if (m_engine.client_count() >= m_engine.max_clients()) {
        // As redis-server: the client is told, then closed; the others carry on.
        ++stats.rejected_connections;
        constexpr std::string_view kFull = "-ERR max number of clients reached\r\n";
        if (io.write_all(kFull.data(), kFull.size())) io.close_gracefully();
        else io.abort();
        return;
    }
    Session session;
    net::format_endpoint(stream.peer(), session.address, sizeof session.address);
    net::format_endpoint(stream.local(), session.local_address, sizeof session.local_address);
    session.interrupt = [](void* context) { static_cast<net::TcpStream*>(context)->interrupt(); };
    session.interrupt_context = &stream;
    session.wait_blocked = [](void* context, uint64_t deadline) {
        Result<void> gone = static_cast<net::TcpStream*>(context)->wait_peer_gone(deadline);
        if (gone) return BlockedWake::Gone;
        return gone.error() == Error::Busy ? BlockedWake::Woken : BlockedWake::TimedOut;
    };
    session.gone = [](void* context) { return static_cast<net::TcpStream*>(context)->peer_gone(); };
    m_engine.attach(session);
    Reply reply(io);
    CommandParser parser(m_limits);
    Arguments args;
    bool abort = false;
    while (!session.killed) {
        if (session.push_length > 0) {
            // Messages other clients published for this one. Writing may wait for the client,
            // and publishers go on appending (or drop the buffer at the limit) meanwhile: the
            // bytes being written are taken out of the session first.
            char* messages = session.pushes;
            size_t length = session.push_length;
            session.pushes = nullptr;
            session.push_length = session.push_capacity = 0;
            reply.raw({messages, length});
            free(messages);
        }
        ParseStatus status = parser.parse(io.input(), args);
        if (status == ParseStatus::Done) {
            if (!args.empty()) m_engine.execute(session, args, reply);
            io.consume(parser.command_length());
            parser.reset();
            args.clear();
            // A pipelined batch is answered with one write, but a big one goes out as it grows.
            if (reply.pending() >= kReplyFlushThreshold) reply.flush();
            if (reply.failed()) {
                abort = true;
                break;
            }
            if (session.close_after_reply) break;
            continue;
        }
        if (status == ParseStatus::Error) {
            ++m_protocol_errors;
            ++stats.total_error_replies;
            LOG_DEBUG("redis: client %s: %s", session.address, parser.error());
            reply.error(parser.error());
            break;
        }
        reply.flush();
        if (reply.failed()) {
            abort = true;
            break;
        }
        if (io.input().empty()) {  // an idle client holds no argument or reply storage
            args.release();
            reply.release();
        }
        auto n = io.fill(sched::kForever);
        if (!n && n.error() == Error::Busy) continue;  // interrupted: see what arrived
        if (!n) {
            if (n.error() == Error::LimitReached)
                LOG_WARN("redis: closing client %s that reached max query buffer length",
                         session.address);
            abort = n.error() == Error::OutOfMemory;
            break;
        }
        if (*n == 0) break;
        stats.total_net_input_bytes += *n;
    }
    reply.flush();  // the last replies (QUIT's, a protocol error's) before the close
    stats.total_net_output_bytes += reply.total();
    m_engine.detach(session);
    if (abort || reply.failed()) io.abort();
    else io.close_gracefully();
}

void Server::expire_loop(void* argument) {
    auto* server = static_cast<Server*>(argument);
    for (;;) {
        sched::sleep_for(kExpireInterval);
        server->m_engine.sample_ops(sched::now());
        // Not while a long command is paused: it counts on the keyspace staying as it is.
        if (!server->m_engine.active_expire || server->m_engine.paused()) continue;
        for (size_t i = 0; i < kDatabases; ++i) {
            Database& db = server->m_engine.keyspace().database(i);
            for (size_t round = 0; round < kExpireRounds && db.volatile_count() > 0; ++round) {
                if (db.expire_some(kExpireSamples) < kExpireSamples / 4) break;
            }
        }
    }
}

void Server::lazy_free_loop(void* argument) {
    Engine& engine = static_cast<Server*>(argument)->m_engine;
    for (;;) {
        (void)engine.flushed().wait();
        for (;;) {
            sched::Deadline slice_end = sched::now() + kLazyFreeSlice;
            bool done;
            while (!(done = engine.free_flushed(kLazyFreeBatch)) && sched::now() < slice_end) {}
            if (done) break;
            sched::yield();
        }
    }
}

ServerStats Server::stats() {
    ServerStats stats{};
    if (m_listener) {
        net::TcpListener::Stats connections = m_listener->stats();
        stats.connections_total = connections.accepted;
        stats.connections_refused = connections.refused;
    }
    stats.clients = m_engine.client_count();
    stats.commands = m_engine.stats().total_commands_processed;
    stats.keys = m_engine.keyspace().total_keys();
    KeyspaceStats& keys = keyspace_stats();
    stats.expired_keys = keys.expired_keys;
    stats.evicted_keys = m_engine.evictor().evicted_keys;
    stats.keyspace_hits = keys.keyspace_hits;
    stats.keyspace_misses = keys.keyspace_misses;
    stats.protocol_errors = m_protocol_errors;
    return stats;
}

}  // namespace coronet::redis
