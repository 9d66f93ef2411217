// Received frames into lwIP without copying: each of a frame's buffers is lent to lwIP as a
// custom pbuf (a chain, for a frame over several) that points into the driver's buffer and hands
// it back to the driver when lwIP frees it. When too
// many buffers are lent out (a slow reader holding data), frames are copied into pool pbufs
// instead, so the driver's receive ring never starves.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drivers/net_device.hpp"
#include "lwip/pbuf.h"

namespace coronet::net {

inline constexpr size_t kLentBuffers = 1024;                // custom pbufs describing lent buffers
inline constexpr size_t kCopyBelowFree = kLentBuffers / 4;  // copy once fewer are left

// A pbuf for `frame` from `device`: lent, or a copy (the frame then goes straight back to the
// device). nullptr when no pbuf could be had; the frame is recycled either way.
pbuf* receive_pbuf(drivers::NetDevice& device, const drivers::ReceivedFrame& frame);

struct RxLendingStats {
    uint64_t lent;     // lent to lwIP right now
    uint64_t copied;   // frames copied because too many buffers were lent out
    uint64_t no_pbuf;  // frames dropped: no pool pbuf for a copy
};
RxLendingStats rx_lending_stats();

}  // namespace coronet::net
