// A WebSocket endpoint: a path on the HTTP server whose GET requests are upgraded (RFC 6455
// §4) and then served by the app's session handler in the connection's own coroutine, with
// the endpoint's limits, compression policy, counters and graceful shutdown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/http/router.hpp"
#include "apps/websocket/deflate.hpp"
#include "apps/websocket/frame.hpp"
#include "apps/websocket/handshake.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"

namespace coronet::websocket {

class WebSocket;

// What a connection does when its send queue is full (the client reads slower than it is sent to).
enum class SlowConsumerPolicy : uint8_t {
    Drop,   // the pushed message is dropped for that connection (counted)
    Close,  // the connection is closed with 1008
};

inline constexpr size_t kSendQueueFrames = 64;             // pushed frames waiting per connection
inline constexpr size_t kDefaultSendQueueBytes = 1 << 20;  // and their bytes
// Messages smaller than this are sent uncompressed: deflate's framing would not pay for itself.
inline constexpr size_t kCompressThreshold = 64;
// Windowed compression stops being offered to new connections once an endpoint's zlib state
// reaches this; they get Stateless compression instead.
inline constexpr uint64_t kDefaultCompressionBudget = 16ULL << 20;

struct EndpointOptions {
    uint64_t max_message = kDefaultMaxMessage;  // 1009 beyond (payload as framed and inflated)
    // No frame from the client for this long: it is pinged; no pong within pong_timeout: closed.
    uint64_t idle_timeout_ns = 60 * kSecond;
    uint64_t pong_timeout_ns = 10 * kSecond;
    uint64_t close_timeout_ns = 5 * kSecond;  // our close frame sent: the client's reply, at most
    size_t send_queue_bytes = kDefaultSendQueueBytes;
    SlowConsumerPolicy slow_consumers = SlowConsumerPolicy::Drop;
    uint64_t compression_budget = kDefaultCompressionBudget;
    HandshakeOptions handshake;  // subprotocols, origins, and the deflate policy
};

// Close codes counted separately in the stats; everything else is "other".
enum class CloseKind : uint8_t {
    Normal,          // 1000
    GoingAway,       // 1001
    ProtocolError,   // 1002
    InvalidPayload,  // 1007
    Policy,          // 1008 (slow consumers included)
    TooBig,          // 1009
    Internal,        // 1011
    NoStatus,        // a close frame without a code
    Abnormal,        // the TCP connection ended without a close frame
    Other,
    Count
};
const char* close_kind_name(CloseKind kind);
CloseKind close_kind(uint16_t code);

struct EndpointStats {
    uint64_t open;
    uint64_t total;    // upgraded connections
    uint64_t refused;  // handshakes answered with an error status
    uint64_t messages_in;
    uint64_t messages_out;
    uint64_t bytes_in;             // message payload bytes (after inflating)
    uint64_t bytes_out;            // message payload bytes (before compressing)
    uint64_t compressed_in_wire;   // of compressed messages received: bytes on the wire
    uint64_t compressed_in_plain;  // and once inflated
    uint64_t compressed_out_wire;
    uint64_t compressed_out_plain;
    uint64_t pushed;          // frames queued by topics
    uint64_t back_pressured;  // of those, queued past the high-water mark
    uint64_t dropped;         // not queued: the connection's queue was full
    uint64_t pings_sent;
    uint64_t closes[static_cast<size_t>(CloseKind::Count)];
    uint64_t compression_bytes;  // zlib state held now
    uint64_t compression_peak;
};

// Runs in the connection's coroutine once the handshake is done; the socket closes (with 1000,
// if nothing closed it before) when it returns.
using SessionHandler = void (*)(WebSocket& socket, void* context);

class Endpoint {
public:
    Endpoint(const EndpointOptions& options, SessionHandler handler, void* context = nullptr);
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    // Serves `path` on `router` (GET): the upgrade, then the session handler.
    Result<void> attach(http::Router& router, std::string_view path);

    // Sends 1001 to every open connection and waits until they have closed or `deadline` has
    // passed (each close is bounded by the send and linger timeouts). New handshakes are
    // refused (503) from the start.
    void shutdown(sched::Deadline deadline);

    const EndpointOptions& options() const { return m_options; }
    EndpointStats stats() const;

private:
    friend class WebSocket;  // registers itself, counts, and uses the shared compressor
    friend class Topic;
    static Result<void> serve_upgrade(http::Exchange& exchange);
    // The deflate choice for one more connection, within the compression budget.
    DeflateChoice deflate_choice() const;
    // What a Windowed connection's zlib state may grow to.
    uint64_t windowed_cost() const;

    EndpointOptions m_options;
    SessionHandler m_handler;
    void* m_context;
    EndpointStats m_stats{};
    CompressionMemory m_memory;
    uint64_t m_windowed_reserved = 0;  // zlib state the Windowed connections may grow to
    Deflater m_shared_deflater;        // stateless messages and publications
    WebSocket* m_sockets = nullptr;    // open connections (intrusive list)
    bool m_shutting_down = false;
};

}  // namespace coronet::websocket
