// Shared frames, publications and topic membership.
#include "apps/websocket/topic.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/websocket/endpoint.hpp"
#include "apps/websocket/websocket.hpp"

namespace coronet::websocket {

SharedFrame* SharedFrame::make(Opcode opcode, std::string_view payload, bool compressed,
                               size_t plain_bytes) {
    uint8_t head[kMaxFrameHeader];
    size_t head_size = encode_header(head, opcode, payload.size(), true, compressed);
    void* memory = malloc(sizeof(SharedFrame) + head_size + payload.size());
    if (!memory) return nullptr;
    auto* frame = new (memory) SharedFrame();
    frame->m_compressed = compressed;
    frame->m_length = head_size + payload.size();
    frame->m_payload_bytes = plain_bytes;
    std::memcpy(frame->m_bytes, head, head_size);
    if (!payload.empty()) std::memcpy(frame->m_bytes + head_size, payload.data(), payload.size());
    return frame;
}

void SharedFrame::unref() {
    if (--m_refs == 0) {
        this->~SharedFrame();
        free(this);
    }
}

Publication::~Publication() {
    if (m_plain) m_plain->unref();
    for (SharedFrame* frame : m_compressed) {
        if (frame) frame->unref();
    }
}

SharedFrame* Publication::frame(uint8_t window_bits) {
    bool compress = window_bits >= kMinWindowBits && window_bits <= kMaxWindowBits &&
                    m_payload.size() >= kCompressThreshold && !m_compression_failed;
    if (compress) {
        SharedFrame*& variant = m_compressed[window_bits - kMinWindowBits];
        if (variant) return variant;
        ByteBuffer compressed;
        if (m_deflater.compress(m_payload, window_bits, false, compressed)) {
            variant = SharedFrame::make(m_opcode, compressed.view(), true, m_payload.size());
            if (variant) return variant;
        }
        m_compression_failed = true;  // out of memory, or a window zlib cannot do: plain for all
    }
    if (!m_plain) m_plain = SharedFrame::make(m_opcode, m_payload, false, m_payload.size());
    return m_plain;
}

Topic::~Topic() {
    while (m_head) unlink(*m_head);
}

void Topic::link(Subscription& subscription) {
    subscription.topic = this;
    subscription.prev = nullptr;
    subscription.next = m_head;
    if (m_head) m_head->prev = &subscription;
    m_head = &subscription;
    ++m_count;
}

void Topic::unlink(Subscription& subscription) {
    if (subscription.prev) subscription.prev->next = subscription.next;
    else m_head = subscription.next;
    if (subscription.next) subscription.next->prev = subscription.prev;
    subscription = {};
    --m_count;
}

size_t Topic::publish(Opcode opcode, std::string_view payload, const WebSocket* except) {
    Publication publication(opcode, payload, m_endpoint.m_shared_deflater);
    EndpointStats& stats = m_endpoint.m_stats;
    size_t queued = 0;
    // push() never switches coroutines, so the list cannot change during the walk.
    for (Subscription* s = m_head; s; s = s->next) {
        if (s->socket == except) continue;
        SharedFrame* frame = publication.frame(s->socket->push_window_bits());
        if (!frame) {
            ++stats.dropped;
            continue;
        }
        PushOutcome outcome = s->socket->push(*frame);  // counted there
        if (outcome == PushOutcome::Queued || outcome == PushOutcome::BackPressured) ++queued;
    }
    return queued;
}

}  // namespace coronet::websocket
