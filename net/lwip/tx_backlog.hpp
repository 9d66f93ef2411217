// Frames lwIP sent while the device's transmit ring was full: copied, kept in order in a
// bounded ring, and moved into the device's ring as it frees space. Bounded so a stalled
// device costs at most kTxBacklog frames of memory; beyond that lwIP sees ERR_MEM and retries.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drivers/net_device.hpp"
#include "lib/result.hpp"
#include "lib/ring.hpp"
#include "lwip/pbuf.h"

namespace coronet::net {

inline constexpr size_t kTxBacklog = 256;        // frames waiting for ring space, per interface
inline constexpr size_t kMaxFrameLength = 1514;  // Ethernet header + 1500-byte payload

class TxBacklog {
public:
    // Moves waiting frames into the device's ring, as many as it takes; returns how many went
    // (the device then needs a notification for them).
    size_t drain(drivers::NetDevice& device);
    // Keeps a copy of `p` at the tail. LimitReached when full, OutOfMemory without memory.
    Result<void> keep(const pbuf* p);
    size_t size() const { return m_frames.size(); }
    bool empty() const { return m_frames.empty(); }

private:
    struct Frame {
        uint16_t length;
        uint8_t data[kMaxFrameLength];
    };
    Ring<Frame*, kTxBacklog> m_frames;
};

}  // namespace coronet::net
