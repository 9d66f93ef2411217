#include "net/lwip/tx_backlog.hpp"

namespace coronet::net {

TxBacklog::~TxBacklog() {
    while (!m_frames.empty()) pbuf_free(m_frames.pop());
}

Result<void> TxBacklog::keep(pbuf* p) {
    if (m_frames.full()) return Error::LimitReached;
    pbuf_ref(p);
    m_frames.push(p);  // not full: checked above
    return {};
}

}  // namespace coronet::net
