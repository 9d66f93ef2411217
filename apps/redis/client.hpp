// A Redis client connection for coroutines: connects by address or name, speaks RESP3 if asked
// (HELLO 3) and authenticates, sends commands as RESP arrays of bulk strings and reads their
// replies in order, one at a time or pipelined. A call failing is a transport or protocol
// failure; a Redis error reply (-ERR, -WRONGTYPE, !...) is a value (ReplyValue::is_error()).
//
//     redis::Client redis({.protocol = 3});
//     TRY_VOID(redis.connect("cache.local:6379", deadline));
//     redis::ReplyValue reply = TRY(redis.command({"GET", key}, deadline));
//     if (reply.is_error()) ...; else if (reply.is_null()) ...; else use(reply.text());
//
//     for (auto& key : keys) TRY_VOID(redis.queue({"INCR", key}));  // a pipeline: no round trips
//     for (size_t k = 0; k < keys.size(); ++k) total += TRY(redis.read_reply(deadline)).integer();
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "apps/redis/command_encoder.hpp"
#include "apps/redis/reply_parser.hpp"
#include "apps/redis/reply_value.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/output.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"
#include "net/ip_address.hpp"
#include "net/tcp.hpp"

namespace coronet::redis {

inline constexpr uint16_t kRedisPort = 6379;
// Commands are gathered in a pooled buffer of this size and leave when it fills or a reply is
// awaited; an argument as big as the buffer goes out on its own, uncopied.
inline constexpr size_t kClientBufferSize = 4 * 1024;
inline constexpr size_t kClientBufferCache = 64;  // idle command buffers kept for reuse
inline constexpr uint64_t kClientSendTimeout = 30 * kSecond;
// Closing an idle connection sends FIN and waits this long at most for the server's.
inline constexpr uint64_t kClientLinger = 1 * kSecond;
inline constexpr size_t kHandshakeErrorLength = 96;

struct ClientOptions {
    int protocol = 2;  // 3: HELLO 3 once connected (Redis 6 and later), RESP3 replies
    // AUTH (RESP2) or HELLO's AUTH (RESP3) when `password` is set; the username defaults to
    // "default". Both must outlive the client, and every client of a pool (a literal, a boot
    // option).
    std::string_view username;
    std::string_view password;
    int64_t database = 0;  // SELECT when not 0
    ReplyLimits limits;    // what one reply may hold; beyond, the connection is closed
    // Bounds writes made while commands are queued (the caller's deadline bounds the rest).
    uint64_t send_timeout_ns = kClientSendTimeout;
    // RESP3 push frames (pub/sub messages, tracking invalidations) arriving while a reply is
    // awaited: handed here when set (the view is valid during the call), dropped otherwise
    // (counted in Stats::pushes_dropped). Subscriber reads them itself.
    void (*on_push)(void* context, const ReplyValue& push) = nullptr;
    void* push_context = nullptr;
};

class Client final : public Sink {
public:
    explicit Client(const ClientOptions& options = {});
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client();

    // Connects and says HELLO, AUTH and SELECT as the options ask, all before `deadline`; an
    // open connection is closed first. Errors: TcpStream::connect's (Refused, Unreachable,
    // Timeout, ...) and the resolver's (NotFound, ...); Unsupported when the server does not
    // speak RESP3; Refused when HELLO, AUTH or SELECT answers an error (handshake_error() has
    // the server's line); Malformed, LimitReached, Closed as for any reply.
    Result<void> connect(const net::Endpoint& server, sched::Deadline deadline);
    // "host:port", the host an address literal or a name (net/resolver.hpp).
    Result<void> connect(std::string_view host_port, sched::Deadline deadline);
    Result<void> connect(std::string_view host, uint16_t port, sched::Deadline deadline);

    bool is_open() const { return m_stream.is_open(); }
    // Open, still connected, no reply owed, nothing unsent, not subscribed: another caller may
    // take it over (ClientPool).
    bool is_idle() const;
    int protocol() const { return m_protocol; }
    std::string_view handshake_error() const { return m_handshake_error; }
    // Drops the last reply and gives back the buffers it held, when nothing is owed: an idle
    // connection then holds no buffer (ClientPool does this to every connection given back).
    void go_idle();
    // A connection with nothing owed closes with FIN (and waits kClientLinger at most for the
    // server's); one in mid-conversation is reset. Views of replies become invalid.
    void close();

    // One command: sends it and reads its reply, all before `deadline`. The reply is valid until
    // the next call on this client. Busy when replies are still owed: of queued commands, or of
    // one whose reply timed out (read_reply() it, or close()). A failed command leaves the client
    // as read_reply() says.
    Result<ReplyValue> command(std::initializer_list<CommandArg> args, sched::Deadline deadline);
    Result<ReplyValue> command(const CommandArg* args, size_t count, sched::Deadline deadline);

    // Pipelining: queue() gathers commands (the buffer is written when it fills, bounded by
    // send_timeout_ns), read_reply() writes what is gathered and returns the replies in order,
    // one per queued command, each valid until the next call on this client.
    Result<void> queue(std::initializer_list<CommandArg> args);
    Result<void> queue(const CommandArg* args, size_t count);
    Result<void> flush(sched::Deadline deadline);
    // Timeout leaves the connection as it was: the reply may still be read by a later call.
    // Any other failure closes the connection: Malformed (not RESP), LimitReached (over
    // ReplyLimits), Closed (the server closed it), Reset, OutOfMemory. InvalidArgument when
    // no reply is owed.
    Result<ReplyValue> read_reply(sched::Deadline deadline);
    size_t replies_owed() const { return m_owed; }

    struct Stats {
        uint64_t commands;        // sent (queued)
        uint64_t replies;         // read
        uint64_t pushes_dropped;  // RESP3 pushes that arrived with no on_push to take them
        uint64_t bytes_read;
    };
    const Stats& stats() const { return m_stats; }

    // Sink, for the command buffer: to the stream, bounded by the deadline of the call.
    Result<void> write_all(const void* data, size_t length) override;

private:
    friend class Subscriber;

    Result<void> handshake(sched::Deadline deadline);
    Result<void> refused_by(const ReplyValue& reply, Error error);
    // The next frame the server sends, a reply or a push; the previous one is dropped first.
    Result<ReplyValue> read_frame(sched::Deadline deadline);
    // Encodes a command without counting a reply owed (pub/sub's are answered by pushes).
    Result<void> send(const CommandArg* args, size_t count);
    // After a failure that leaves the conversation out of step: reset, buffers given back.
    Error broken(Error error);

    ClientOptions m_options;
    net::TcpStream m_stream;
    net::BufferedStream m_io;  // the input side only: commands go through m_output
    Output m_output;
    ReplyParser m_parser;
    sched::Deadline m_write_deadline = sched::kForever;
    size_t m_owed = 0;
    size_t m_frame_length = 0;  // of the frame last returned, consumed by the next read
    int m_protocol = 2;
    bool m_subscribed = false;
    char m_handshake_error[kHandshakeErrorLength] = {};
    Stats m_stats{};
};

}  // namespace coronet::redis
