// Pub/sub over a client connection: SUBSCRIBE and PSUBSCRIBE, then the messages and confirmations
// the server sends, as RESP3 push frames or RESP2 arrays alike. A subscribed RESP2 connection can
// do nothing else, so once subscribed the connection stays the subscriber's (a pool given it back
// drops it).
//
//     redis::Subscriber subscriber(client);
//     TRY_VOID(subscriber.subscribe({"news"}, deadline));
//     for (;;) {
//         redis::PubSubEvent message = TRY(subscriber.next_message(sched::kForever));
//         handle(message.channel, message.payload);
//     }
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "apps/redis/client.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"

namespace coronet::redis {

// Channels or patterns one (un)subscribe call may name.
inline constexpr size_t kMaxSubscribeNames = 64;

struct PubSubEvent {
    enum class Kind : uint8_t {
        Message,              // channel, payload
        PatternMessage,       // pattern, channel, payload
        Subscribed,           // channel, subscriptions
        Unsubscribed,         // channel (empty when there was none), subscriptions
        PatternSubscribed,    // pattern, subscriptions
        PatternUnsubscribed,  // pattern, subscriptions
        Pong,                 // payload
        Error,                // payload: the server's error line (a command it refused)
        Other,                // name: a kind this client does not know (RESP3 pushes grow)
    };
    Kind kind;
    std::string_view name;  // the frame's first element: "message", "subscribe", ...
    std::string_view channel;
    std::string_view pattern;
    std::string_view payload;
    int64_t subscriptions = 0;  // channels and patterns still subscribed, as the server counts
};

class Subscriber {
public:
    explicit Subscriber(Client& client) : m_client(client) {}

    // Sends the command (written before `deadline`); the server confirms each name with an
    // event, which next() returns in order: wait for it before counting on messages arriving.
    // An empty list unsubscribes from all.
    Result<void> subscribe(std::initializer_list<std::string_view> channels,
                           sched::Deadline deadline);
    Result<void> psubscribe(std::initializer_list<std::string_view> patterns,
                            sched::Deadline deadline);
    Result<void> unsubscribe(std::initializer_list<std::string_view> channels,
                             sched::Deadline deadline);
    Result<void> punsubscribe(std::initializer_list<std::string_view> patterns,
                              sched::Deadline deadline);

    // The next event: Timeout when none came before `deadline` (the subscriber is still good);
    // Malformed (and the connection closed) for a frame that is not pub/sub; the client's read
    // errors otherwise. Its views are valid until the next call on the client.
    Result<PubSubEvent> next(sched::Deadline deadline);
    // The next message (Message or PatternMessage), the other events on the way skipped.
    Result<PubSubEvent> next_message(sched::Deadline deadline);

    Client& client() { return m_client; }

private:
    Result<void> send(std::string_view command, std::initializer_list<std::string_view> names,
                      sched::Deadline deadline);

    Client& m_client;
};

}  // namespace coronet::redis
