// Channels live in a hash index, each with the array of its subscribers; patterns are one
// list (PUBLISH walks it, as Redis does). Each session also lists its own subscriptions, so
// leaving is proportional to what it joined.
#include "apps/redis/pubsub.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/config.hpp"
#include "apps/redis/engine.hpp"
#include "apps/redis/lookup.hpp"

namespace coronet::redis {

struct PubSub::Channel {
    HashIndex::Link link;
    Session** subscribers;
    size_t count;
    size_t capacity;
    uint32_t length;
    char name[];
    std::string_view view() const { return {name, length}; }
};

struct ChannelSubscription {
    ChannelSubscription* next;
    PubSub::Channel* channel;
};

struct PatternSubscription {
    PatternSubscription* next_in_session;
    PatternSubscription* next_global;
    Session* session;
    uint32_t length;
    char text[];
    std::string_view view() const { return {text, length}; }
};

namespace {

std::string_view channel_key(const HashIndex::Link* link) {
    return reinterpret_cast<const PubSub::Channel*>(link)->view();
}

// Appends to a session's push buffer; false when it would pass `limit` or memory ran out.
bool append(Session& session, std::string_view bytes, uint64_t limit) {
    size_t needed = session.push_length + bytes.size();
    if (needed > limit) return false;
    if (needed > session.push_capacity) {
        size_t capacity = session.push_capacity ? session.push_capacity : 256;
        while (capacity < needed) capacity *= 2;
        auto* grown = static_cast<char*>(realloc(session.pushes, capacity));
        if (!grown) return false;
        session.pushes = grown;
        session.push_capacity = capacity;
    }
    std::memcpy(session.pushes + session.push_length, bytes.data(), bytes.size());
    session.push_length = needed;
    return true;
}

bool append_header(Session& session, char kind, size_t count, uint64_t limit) {
    char text[24];
    int n = snprintf(text, sizeof text, "%c%zu\r\n", kind, count);
    return append(session, {text, static_cast<size_t>(n)}, limit);
}

bool append_bulk(Session& session, std::string_view bytes, uint64_t limit) {
    return append_header(session, '$', bytes.size(), limit) && append(session, bytes, limit) &&
           append(session, "\r\n", limit);
}

}  // namespace

PubSub::PubSub() : m_channels(channel_key) {}

PubSub::~PubSub() = default;  // the appliance's engine lives as long as the image

bool PubSub::subscribe(Session& session, std::string_view channel, bool& added) {
    added = false;
    for (ChannelSubscription* s = session.channels; s; s = s->next)
        if (s->channel->view() == channel) return true;
    auto* node = reinterpret_cast<Channel*>(m_channels.find(channel));
    if (!node) {
        node = static_cast<Channel*>(malloc(sizeof(Channel) + channel.size()));
        if (!node) return false;
        *node = {{nullptr, m_channels.hash(channel)},
                 nullptr,
                 0,
                 0,
                 static_cast<uint32_t>(channel.size())};
        std::memcpy(node->name, channel.data(), channel.size());
        if (!m_channels.insert(&node->link)) {
            free(node);
            return false;
        }
    }
    auto* subscription = static_cast<ChannelSubscription*>(malloc(sizeof(ChannelSubscription)));
    if (node->count == node->capacity) {
        size_t capacity = node->capacity ? node->capacity * 2 : 4;
        auto* grown =
            static_cast<Session**>(realloc(node->subscribers, capacity * sizeof(Session*)));
        if (grown) {
            node->subscribers = grown;
            node->capacity = capacity;
        }
    }
    if (!subscription || node->count == node->capacity) {
        free(subscription);
        if (node->count == 0) {
            m_channels.remove(&node->link);
            free(node->subscribers);
            free(node);
        }
        return false;
    }
    node->subscribers[node->count++] = &session;
    *subscription = {session.channels, node};
    session.channels = subscription;
    ++session.channel_count;
    added = true;
    return true;
}

bool PubSub::unsubscribe(Session& session, std::string_view channel) {
    for (ChannelSubscription** at = &session.channels; *at; at = &(*at)->next) {
        ChannelSubscription* subscription = *at;
        Channel* node = subscription->channel;
        if (node->view() != channel) continue;
        *at = subscription->next;
        free(subscription);
        --session.channel_count;
        for (size_t i = 0; i < node->count; ++i) {
            if (node->subscribers[i] == &session) {
                // Keep the others in subscription order (messages fan out in that order).
                std::memmove(&node->subscribers[i], &node->subscribers[i + 1],
                             (node->count - i - 1) * sizeof(Session*));
                --node->count;
                break;
            }
        }
        if (node->count == 0) {
            m_channels.remove(&node->link);
            free(node->subscribers);
            free(node);
        }
        return true;
    }
    return false;
}

bool PubSub::psubscribe(Session& session, std::string_view pattern, bool& added) {
    added = false;
    for (PatternSubscription* p = session.patterns; p; p = p->next_in_session)
        if (p->view() == pattern) return true;
    auto* node =
        static_cast<PatternSubscription*>(malloc(sizeof(PatternSubscription) + pattern.size()));
    if (!node) return false;
    node->session = &session;
    node->length = static_cast<uint32_t>(pattern.size());
    std::memcpy(node->text, pattern.data(), pattern.size());
    node->next_in_session = session.patterns;
    session.patterns = node;
    // Appended, so that matching patterns deliver in subscription order.
    node->next_global = nullptr;
    PatternSubscription** tail = &m_patterns;
    while (*tail) tail = &(*tail)->next_global;
    *tail = node;
    ++session.pattern_count;
    added = true;
    return true;
}

bool PubSub::punsubscribe(Session& session, std::string_view pattern) {
    for (PatternSubscription** at = &session.patterns; *at; at = &(*at)->next_in_session) {
        PatternSubscription* node = *at;
        if (node->view() != pattern) continue;
        *at = node->next_in_session;
        for (PatternSubscription** g = &m_patterns; *g; g = &(*g)->next_global) {
            if (*g == node) {
                *g = node->next_global;
                break;
            }
        }
        free(node);
        --session.pattern_count;
        return true;
    }
    return false;
}

void PubSub::leave_all(Session& session) {
    while (session.channels) unsubscribe(session, session.channels->channel->view());
    while (session.patterns) punsubscribe(session, session.patterns->view());
    free(session.pushes);
    session.pushes = nullptr;
    session.push_length = session.push_capacity = 0;
}

std::string_view PubSub::first_channel(const Session& session) {
    return session.channels ? session.channels->channel->view() : std::string_view{};
}

std::string_view PubSub::first_pattern(const Session& session) {
    return session.patterns ? session.patterns->view() : std::string_view{};
}

size_t PubSub::pattern_count() const {
    size_t distinct = 0;
    for (const PatternSubscription* p = m_patterns; p; p = p->next_global) {
        bool seen = false;
        for (const PatternSubscription* q = m_patterns; q != p && !seen; q = q->next_global)
            seen = q->view() == p->view();
        if (!seen) ++distinct;
    }
    return distinct;
}

size_t PubSub::subscribers(std::string_view channel) {
    auto* node = reinterpret_cast<Channel*>(m_channels.find(channel));
    return node ? node->count : 0;
}

void PubSub::for_each_channel(void (*visit)(std::string_view, void*), void* context) {
    struct Walk {
        void (*visit)(std::string_view, void*);
        void* context;
    } walk{visit, context};
    uint64_t cursor = 0;
    do {
        cursor = m_channels.scan(
            cursor,
            [](HashIndex::Link* link, void* w) {
                auto* walk_state = static_cast<Walk*>(w);
                walk_state->visit(reinterpret_cast<Channel*>(link)->view(), walk_state->context);
            },
            &walk);
    } while (cursor != 0);
}

bool PubSub::deliver(Engine& engine, Session& target, std::string_view kind,
                     std::string_view pattern, std::string_view channel, std::string_view message,
                     Session* self, Reply* self_reply) {
    bool with_pattern = !pattern.empty() || kind == "pmessage";
    size_t parts = with_pattern ? 4 : 3;
    if (&target == self && self_reply) {
        self_reply->push(parts);
        self_reply->bulk(kind);
        if (with_pattern) self_reply->bulk(pattern);
        self_reply->bulk(channel);
        self_reply->bulk(message);
        return true;
    }
    if (target.killed) return false;
    bool was_empty = target.push_length == 0;
    bool ok = append_header(target, target.protocol == 3 ? '>' : '*', parts, output_limit) &&
              append_bulk(target, kind, output_limit) &&
              (!with_pattern || append_bulk(target, pattern, output_limit)) &&
              append_bulk(target, channel, output_limit) &&
              append_bulk(target, message, output_limit);
    if (!ok) {
        // It stopped reading (or memory ran out): disconnected, like Redis's
        // client-output-buffer-limit for pub/sub clients. Its buffer goes at once.
        free(target.pushes);
        target.pushes = nullptr;
        target.push_length = target.push_capacity = 0;
        engine.kill(target, self);
        return false;
    }
    if (was_empty && target.interrupt) target.interrupt(target.interrupt_context);
    return true;
}

size_t PubSub::publish(Engine& engine, std::string_view channel, std::string_view message,
                       Session* self, Reply* self_reply) {
    size_t received = 0;
    if (auto* node = reinterpret_cast<Channel*>(m_channels.find(channel))) {
        // A subscriber disconnected on the way leaves the array only when its coroutine runs,
        // so the array is stable during the loop.
        for (size_t i = 0; i < node->count; ++i) {
            if (deliver(engine, *node->subscribers[i], "message", {}, channel, message, self,
                        self_reply))
                ++received;
        }
    }
    for (PatternSubscription* p = m_patterns; p; p = p->next_global) {
        if (!glob_match(p->view(), channel)) continue;
        if (deliver(engine, *p->session, "pmessage", p->view(), channel, message, self, self_reply))
            ++received;
    }
    return received;
}

namespace {

void subscription_reply(Context& c, std::string_view kind, std::string_view name, bool null_name) {
    c.reply.push(3);
    c.reply.bulk(kind);
    if (null_name) c.reply.null();
    else c.reply.bulk(name);
    c.reply.integer(static_cast<int64_t>(c.session.subscriptions()));
}

void subscribe_command(Context& c) {
    for (size_t i = 1; i < c.argc(); ++i) {
        bool added;
        if (!c.engine.pubsub().subscribe(c.session, c.arg(i), added)) {
            c.reply.error(errors::kOutOfMemory);
            return;
        }
        subscription_reply(c, "subscribe", c.arg(i), false);
    }
}

void psubscribe_command(Context& c) {
    for (size_t i = 1; i < c.argc(); ++i) {
        bool added;
        if (!c.engine.pubsub().psubscribe(c.session, c.arg(i), added)) {
            c.reply.error(errors::kOutOfMemory);
            return;
        }
        subscription_reply(c, "psubscribe", c.arg(i), false);
    }
}

// UNSUBSCRIBE / PUNSUBSCRIBE: the names given, or every one the session has (a reply each; one
// with a null name when it has none).
void leave(Context& c, std::string_view kind, size_t& count,
           std::string_view (*first)(const Session&),
           bool (PubSub::*remove)(Session&, std::string_view)) {
    PubSub& pubsub = c.engine.pubsub();
    if (c.argc() > 1) {
        for (size_t i = 1; i < c.argc(); ++i) {
            (pubsub.*remove)(c.session, c.arg(i));
            subscription_reply(c, kind, c.arg(i), false);
        }
        return;
    }
    if (count == 0) {
        subscription_reply(c, kind, {}, true);
        return;
    }
    while (count > 0) {
        // The name must outlive the node remove() frees.
        std::string_view name = first(c.session);
        char stack_copy[256];
        char* copy =
            name.size() <= sizeof stack_copy ? stack_copy : static_cast<char*>(malloc(name.size()));
        if (!copy) {
            c.reply.error(errors::kOutOfMemory);
            return;
        }
        std::memcpy(copy, name.data(), name.size());
        std::string_view kept{copy, name.size()};
        (pubsub.*remove)(c.session, kept);
        subscription_reply(c, kind, kept, false);
        if (copy != stack_copy) free(copy);
    }
}

void unsubscribe_command(Context& c) {
    leave(c, "unsubscribe", c.session.channel_count, PubSub::first_channel, &PubSub::unsubscribe);
}

void punsubscribe_command(Context& c) {
    leave(c, "punsubscribe", c.session.pattern_count, PubSub::first_pattern, &PubSub::punsubscribe);
}

void publish_command(Context& c) {
    size_t received = c.engine.pubsub().publish(c.engine, c.arg(1), c.arg(2), &c.session, &c.reply);
    c.reply.integer(static_cast<int64_t>(received));
}

struct ChannelList {
    std::string_view pattern;
    bool all;
    std::string_view* names = nullptr;
    size_t count = 0, capacity = 0;
    bool failed = false;
};

void pubsub_command(Context& c) {
    std::string_view sub = c.arg(1);
    PubSub& pubsub = c.engine.pubsub();
    if (is_word(sub, "channels") && c.argc() <= 3) {
        ChannelList list{c.argc() == 3 ? c.arg(2) : "*", c.argc() < 3};
        pubsub.for_each_channel(
            [](std::string_view name, void* context) {
                auto* l = static_cast<ChannelList*>(context);
                if (!l->all && !glob_match(l->pattern, name)) return;
                if (l->count == l->capacity) {
                    size_t capacity = l->capacity ? l->capacity * 2 : 16;
                    auto* grown = static_cast<std::string_view*>(
                        realloc(l->names, capacity * sizeof(std::string_view)));
                    if (!grown) {
                        l->failed = true;
                        return;
                    }
                    l->names = grown;
                    l->capacity = capacity;
                }
                l->names[l->count++] = name;
            },
            &list);
        if (list.failed) c.reply.error(errors::kOutOfMemory);
        else {
            c.reply.array(list.count);
            for (size_t i = 0; i < list.count; ++i) c.reply.bulk(list.names[i]);
        }
        free(list.names);
    } else if (is_word(sub, "numsub")) {
        c.reply.array(2 * (c.argc() - 2));
        for (size_t i = 2; i < c.argc(); ++i) {
            c.reply.bulk(c.arg(i));
            c.reply.integer(static_cast<int64_t>(pubsub.subscribers(c.arg(i))));
        }
    } else if (is_word(sub, "numpat") && c.argc() == 2) {
        c.reply.integer(static_cast<int64_t>(pubsub.pattern_count()));
    } else if (is_word(sub, "help") && c.argc() == 2) {
        c.reply.array(3);
        c.reply.simple("CHANNELS [<pattern>]");
        c.reply.simple("NUMPAT");
        c.reply.simple("NUMSUB [<channel> ...]");
    } else {
        error_quoting(c, "ERR unknown subcommand or wrong number of arguments for '", sub,
                      "'. Try PUBSUB HELP.");
    }
}

const Command kCommands[] = {
    {"subscribe", -2, kPubSub | kNoScript, subscribe_command, 0, 0, 0},
    {"unsubscribe", -1, kPubSub | kNoScript, unsubscribe_command, 0, 0, 0},
    {"psubscribe", -2, kPubSub | kNoScript, psubscribe_command, 0, 0, 0},
    {"punsubscribe", -1, kPubSub | kNoScript, punsubscribe_command, 0, 0, 0},
    {"publish", 3, kFast, publish_command, 0, 0, 0},
    {"pubsub", -2, 0, pubsub_command, 0, 0, 0},
};

}  // namespace

const CommandFamily kPubSubCommands{kCommands, sizeof kCommands / sizeof kCommands[0]};

}  // namespace coronet::redis
