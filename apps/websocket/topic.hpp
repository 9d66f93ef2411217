// Server push: a Topic's publish() encodes a message once, as a complete frame, and hands the
// same bytes by reference to every subscriber's bounded send queue; each connection's own
// coroutine writes them out. A publisher never waits for a subscriber, order per publisher is
// kept (each queue is FIFO), and a connection that closes in the middle of a publish only
// leaves the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/websocket/frame.hpp"

namespace coronet::websocket {

class Deflater;
class Endpoint;
class WebSocket;

// Compressed variants of a published message: one per window size, 8 to 15 bits.
inline constexpr size_t kWindowVariants = 8;

// A frame ready for the wire, shared by the send queues it sits in; freed with its last
// reference. A message has a plain frame and, made on demand, compressed ones (one per window
// size subscribers agreed on), each compressed without context so any subscriber can take it.
class SharedFrame {
public:
    // A new frame with one reference, or nullptr when memory is short.
    // `plain_bytes`: the message's size before compression (for the counters).
    static SharedFrame* make(Opcode opcode, std::string_view payload, bool compressed,
                             size_t plain_bytes);
    void ref() { ++m_refs; }
    void unref();
    std::string_view bytes() const { return {m_bytes, m_length}; }
    bool compressed() const { return m_compressed; }
    size_t payload_bytes() const { return m_payload_bytes; }

private:
    SharedFrame() = default;
    uint32_t m_refs = 1;
    bool m_compressed = false;
    size_t m_length = 0;
    size_t m_payload_bytes = 0;
    char m_bytes[1];  // the frame: head and payload, allocated past the end
};

// One message being published: its frames, made once each.
class Publication {
public:
    Publication(Opcode opcode, std::string_view payload, Deflater& deflater)
        : m_opcode(opcode), m_payload(payload), m_deflater(deflater) {}
    Publication(const Publication&) = delete;
    Publication& operator=(const Publication&) = delete;
    ~Publication();

    // The frame for a subscriber: compressed with at most `window_bits` (0: plain); falls back
    // to the plain frame when compression fails or does not pay. nullptr when out of memory.
    SharedFrame* frame(uint8_t window_bits);

private:
    Opcode m_opcode;
    std::string_view m_payload;
    Deflater& m_deflater;
    SharedFrame* m_plain = nullptr;
    SharedFrame* m_compressed[kWindowVariants] = {};  // by window bits - 8
    bool m_compression_failed = false;
};

// What happened to one pushed frame, for the publisher and the counters.
enum class PushOutcome : uint8_t {
    Queued,         // in the connection's send queue
    BackPressured,  // queued, but the queue is past its high-water mark: the client is slow
    Dropped,        // the queue was full and the endpoint drops for slow consumers
    Closed,         // the connection is closing (or was closed for being slow, with 1008)
};

struct Subscription;

// Subscribers come from one endpoint, whose compressor and counters the topic uses.
class Topic {
public:
    explicit Topic(Endpoint& endpoint) : m_endpoint(endpoint) {}
    Topic(const Topic&) = delete;
    Topic& operator=(const Topic&) = delete;
    ~Topic();

    // Sends `payload` to every subscriber (`except` excluded, e.g. the sender itself); each
    // outcome is counted in the endpoint's stats. Returns how many got it queued.
    size_t publish(Opcode opcode, std::string_view payload, const WebSocket* except = nullptr);
    size_t subscribers() const { return m_count; }

private:
    friend class WebSocket;  // subscribes and unsubscribes
    void link(Subscription& subscription);
    void unlink(Subscription& subscription);

    Endpoint& m_endpoint;
    Subscription* m_head = nullptr;
    size_t m_count = 0;
};

// A connection's membership in one topic: an intrusive list node owned by the connection.
struct Subscription {
    Topic* topic = nullptr;
    WebSocket* socket = nullptr;
    Subscription* prev = nullptr;
    Subscription* next = nullptr;
};

}  // namespace coronet::websocket
