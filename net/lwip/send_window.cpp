#include "net/lwip/send_window.hpp"

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

namespace coronet::net::send_window {

void fit(tcp_pcb* pcb, uint32_t window, uint32_t acknowledged) {
    tcp_seg* head = pcb->unsent;
    if (!head || head->len <= TCP_MSS || head->len <= window) return;
    uint32_t in_flight = pcb->snd_nxt - acknowledged;
    if (in_flight >= window) return;  // the next window update, or lwIP's zero-window probe
    uint32_t usable = window - in_flight;
    auto split = static_cast<u16_t>(usable >= TCP_MSS ? usable - usable % TCP_MSS : usable);
    tcp_split_unsent_seg(pcb, split);  // without memory: lwIP's persist timer cuts it later
}

}  // namespace coronet::net::send_window
