// The Redis-protocol server: a listener on 6379 whose connections each run a coroutine that
// parses commands, executes them against the shared engine, and answers pipelined commands
// with one write per batch; plus the active expiry cycle on the reactor's timers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "apps/redis/command_parser.hpp"
#include "apps/redis/engine.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/tcp.hpp"

namespace coronet::net {
class TcpListener;
class TcpStream;
}  // namespace coronet::net

namespace coronet::redis {

// Connection stacks: commands run on them, and INCRBYFLOAT's number formatting wants a few KiB.
// Demand-paged, so an idle client still holds about a page.
inline constexpr size_t kConnectionStackSize = 32 * 1024;
// The active expiry cycle: how often, and how many keys a pass samples per database and round
// (another round follows while a quarter of the sample had expired, up to kExpireRounds).
inline constexpr uint64_t kExpireInterval = 100 * kMillisecond;
inline constexpr size_t kExpireSamples = 20;
inline constexpr size_t kExpireRounds = 16;
// The lazy-free coroutine frees flushed keys in batches for at most this long before it lets
// others run: well inside the watchdog's budget, whatever a free costs.
inline constexpr uint64_t kLazyFreeSlice = 5 * kMillisecond;
inline constexpr size_t kLazyFreeBatch = 128;

// Connections the listener takes past maxclients, so that a client over the limit reads
// Redis's "-ERR max number of clients reached" before the close rather than a reset (past
// these too, or short of memory, the listener resets).
inline constexpr size_t kOverLimitConnections = 64;

// Replies gathered past this are written before the next pipelined command runs.
inline constexpr size_t kReplyFlushThreshold = 64 * 1024;

struct ServerOptions {
    EngineOptions engine;
    uint64_t send_timeout_ns = 60 * kSecond;  // a client that takes no replies for this long
    uint64_t linger_ns = 2 * kSecond;
    net::Keepalive keepalive;  // Redis's tcp-keepalive: dead clients found and freed
};

struct ServerStats {
    uint64_t clients;
    uint64_t connections_total;
    uint64_t connections_refused;
    uint64_t commands;
    uint64_t keys;
    uint64_t expired_keys;
    uint64_t evicted_keys;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint64_t protocol_errors;
};

class Server {
public:
    explicit Server(const ServerOptions& options);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    Result<void> start();
    ServerStats stats();
    Engine& engine() { return m_engine; }
    const ServerOptions& options() const { return m_options; }

private:
    static void serve_connection(net::TcpStream& stream, void* server);
    static void expire_loop(void* server);
    static void lazy_free_loop(void* server);
    void serve(net::TcpStream& stream);

    ServerOptions m_options;
    Engine m_engine;
    ParserLimits m_limits;
    net::TcpListener* m_listener = nullptr;
    uint64_t m_protocol_errors = 0;
};

}  // namespace coronet::redis
