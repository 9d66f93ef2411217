// Pub/sub: channels and patterns with their subscribers, PUBLISH's fan-out, and keyspace
// notifications. A message for another client is encoded for that client's protocol and
// appended to its session's push buffer, then its coroutine is woken to write it: a publisher
// never waits for a subscriber's socket. A subscriber whose buffer passes the output limit
// (it stopped reading) is disconnected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/command.hpp"
#include "apps/redis/session.hpp"
#include "lib/hash_index.hpp"

namespace coronet::redis {

class Engine;

class PubSub {
public:
    PubSub();
    PubSub(const PubSub&) = delete;
    PubSub& operator=(const PubSub&) = delete;
    ~PubSub();

    // False when out of memory; `added` tells whether it was new for the session.
    // (Channel is public for the file's helpers.)
    struct Channel;

    bool subscribe(Session& session, std::string_view channel, bool& added);
    bool unsubscribe(Session& session, std::string_view channel);
    bool psubscribe(Session& session, std::string_view pattern, bool& added);
    bool punsubscribe(Session& session, std::string_view pattern);
    // Leaves everything, quietly (disconnect, RESET).
    void leave_all(Session& session);

    // Delivers to every subscriber of `channel` and every matching pattern; returns how many
    // received it. `self` gets its copy straight into `self_reply` (in order before the
    // command's own reply, as Redis does).
    size_t publish(Engine& engine, std::string_view channel, std::string_view message,
                   Session* self, Reply* self_reply);

    size_t channel_count() const { return m_channels.size(); }
    size_t pattern_count() const;  // distinct patterns
    size_t subscribers(std::string_view channel);
    // PUBSUB CHANNELS: visits channels with subscribers.
    void for_each_channel(void (*visit)(std::string_view name, void* context), void* context);

    // The first channel/pattern of a session (UNSUBSCRIBE with no arguments walks them).
    static std::string_view first_channel(const Session& session);
    static std::string_view first_pattern(const Session& session);

    // Bytes a subscriber's unsent messages may reach before it is disconnected.
    uint64_t output_limit = 32ULL << 20;

private:
    // False when the target is gone (killed, or disconnected by this message).
    bool deliver(Engine& engine, Session& target, std::string_view kind, std::string_view pattern,
                 std::string_view channel, std::string_view message, Session* self,
                 Reply* self_reply);

    HashIndex m_channels;
    PatternSubscription* m_patterns = nullptr;  // every (pattern, session), oldest first
};

extern const CommandFamily kPubSubCommands;

}  // namespace coronet::redis
