// Frames lwIP sent while the device's transmit ring was full: held by reference (lwIP does not
// touch a frame's memory while it is referenced), kept in order in a bounded ring, and handed to
// the device as it frees space. Bounded so a stalled device costs at most kTxBacklog frames;
// beyond that lwIP sees ERR_MEM and retries.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"
#include "lib/ring.hpp"
#include "lwip/pbuf.h"

namespace coronet::net {

inline constexpr size_t kTxBacklog = 256;  // frames waiting for ring space, per interface

class TxBacklog {
public:
    ~TxBacklog();
    // Hands waiting frames to `send` in order until it returns false (the ring is full again);
    // returns how many it took (sent, or dropped as unsendable).
    template <typename Send>
    size_t drain(Send&& send) {
        size_t moved = 0;
        while (!m_frames.empty() && send(m_frames.front())) {
            pbuf_free(m_frames.pop());
            ++moved;
        }
        return moved;
    }
    // Keeps a reference to `p` at the tail. LimitReached when full.
    Result<void> keep(pbuf* p);
    size_t size() const { return m_frames.size(); }
    bool empty() const { return m_frames.empty(); }

private:
    Ring<pbuf*, kTxBacklog> m_frames;
};

}  // namespace coronet::net
