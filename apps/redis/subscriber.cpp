// Pub/sub frames: ["message", channel, payload], ["pmessage", pattern, channel, payload],
// ["subscribe", channel, count], ... as a RESP3 push or, in RESP2, an array.
#include "apps/redis/subscriber.hpp"

namespace coronet::redis {

namespace {

using Kind = PubSubEvent::Kind;

struct Shape {
    std::string_view name;
    Kind kind;
    size_t elements;
};

constexpr Shape kShapes[] = {
    {"message", Kind::Message, 3},
    {"pmessage", Kind::PatternMessage, 4},
    {"subscribe", Kind::Subscribed, 3},
    {"unsubscribe", Kind::Unsubscribed, 3},
    {"psubscribe", Kind::PatternSubscribed, 3},
    {"punsubscribe", Kind::PatternUnsubscribed, 3},
    {"pong", Kind::Pong, 2},
};

// A confirmation's count, or an element where RESP2 may send a null (UNSUBSCRIBE with nothing).
std::string_view text_of(const ReplyValue& value) { return value.is_null() ? "" : value.text(); }

}  // namespace

Result<void> Subscriber::send(std::string_view command,
                              std::initializer_list<std::string_view> names,
                              sched::Deadline deadline) {
    if (names.size() > kMaxSubscribeNames) return Error::InvalidArgument;
    CommandArg args[1 + kMaxSubscribeNames] = {command};
    size_t count = 1;
    for (std::string_view name : names) args[count++] = name;
    TRY_VOID(m_client.send(args, count));
    m_client.m_subscribed = true;
    return m_client.flush(deadline);
}

Result<void> Subscriber::subscribe(std::initializer_list<std::string_view> channels,
                                   sched::Deadline deadline) {
    if (channels.size() == 0) return Error::InvalidArgument;
    return send("SUBSCRIBE", channels, deadline);
}

Result<void> Subscriber::psubscribe(std::initializer_list<std::string_view> patterns,
                                    sched::Deadline deadline) {
    if (patterns.size() == 0) return Error::InvalidArgument;
    return send("PSUBSCRIBE", patterns, deadline);
}

Result<void> Subscriber::unsubscribe(std::initializer_list<std::string_view> channels,
                                     sched::Deadline deadline) {
    return send("UNSUBSCRIBE", channels, deadline);
}

Result<void> Subscriber::punsubscribe(std::initializer_list<std::string_view> patterns,
                                      sched::Deadline deadline) {
    return send("PUNSUBSCRIBE", patterns, deadline);
}

Result<PubSubEvent> Subscriber::next(sched::Deadline deadline) {
    ReplyValue frame = TRY(m_client.read_frame(deadline));
    PubSubEvent event{};
    if (frame.is_error()) {
        event.kind = Kind::Error;
        event.payload = frame.text();
        return event;
    }
    bool framed = frame.kind() == ReplyKind::Push || frame.kind() == ReplyKind::Array;
    // Not pub/sub: the conversation is not what this connection was left in.
    if (!framed || frame.empty() || !frame[0].is_string()) return m_client.broken(Error::Malformed);
    event.name = frame[0].text();
    event.kind = Kind::Other;
    for (const Shape& shape : kShapes) {
        // Redis sends these names in lower case; RESP2's PING reply in subscribed mode too.
        if (event.name != shape.name) continue;
        if (frame.size() != shape.elements) return m_client.broken(Error::Malformed);
        event.kind = shape.kind;
        break;
    }
    switch (event.kind) {
    case Kind::Message:
        event.channel = text_of(frame[1]);
        event.payload = text_of(frame[2]);
        break;
    case Kind::PatternMessage:
        event.pattern = text_of(frame[1]);
        event.channel = text_of(frame[2]);
        event.payload = text_of(frame[3]);
        break;
    case Kind::Subscribed:
    case Kind::Unsubscribed:
    case Kind::PatternSubscribed:
    case Kind::PatternUnsubscribed: {
        bool pattern =
            event.kind == Kind::PatternSubscribed || event.kind == Kind::PatternUnsubscribed;
        (pattern ? event.pattern : event.channel) = text_of(frame[1]);
        Result<int64_t> count = frame[2].to_integer();
        if (!count) return m_client.broken(Error::Malformed);
        event.subscriptions = *count;
        break;
    }
    case Kind::Pong: event.payload = text_of(frame[1]); break;
    case Kind::Error:
    case Kind::Other: break;
    }
    return event;
}

Result<PubSubEvent> Subscriber::next_message(sched::Deadline deadline) {
    for (;;) {
        PubSubEvent event = TRY(next(deadline));
        if (event.kind == Kind::Message || event.kind == Kind::PatternMessage) return event;
    }
}

}  // namespace coronet::redis
