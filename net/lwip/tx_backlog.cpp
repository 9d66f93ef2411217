// The transmit backlog's frames are malloc'd one at a time: none exist until a ring fills.
#include "net/lwip/tx_backlog.hpp"

#include <cstdlib>

namespace coronet::net {

size_t TxBacklog::drain(drivers::NetDevice& device) {
    size_t moved = 0;
    while (!m_frames.empty()) {
        Frame* frame = m_frames.front();
        drivers::Fragment fragment{frame->data, frame->length};
        if (!device.transmit(&fragment, 1)) break;
        free(m_frames.pop());
        ++moved;
    }
    return moved;
}

Result<void> TxBacklog::keep(const pbuf* p) {
    if (m_frames.full() || p->tot_len > kMaxFrameLength) return Error::LimitReached;
    auto* frame = static_cast<Frame*>(malloc(sizeof(Frame)));
    if (!frame) return Error::OutOfMemory;
    frame->length = static_cast<uint16_t>(pbuf_copy_partial(p, frame->data, p->tot_len, 0));
    m_frames.push(frame);  // not full: checked above
    return {};
}

}  // namespace coronet::net
