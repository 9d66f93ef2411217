// lwIP sends a segment only whole, and only into the window the peer offers; one longer than
// that window waits for lwIP's persist timer to cut it, 1.5 s and more later. Connections with
// large segments (segmentation_mss()) meet this whenever a slow reader's window shrinks below
// one of them, so the first unsent segment is cut here to what the window takes now: when the
// app sends, and when the peer's acknowledgement or window update arrives (the TCP input hook),
// before lwIP's own output at the end of that input.
//
// The connection's MSS itself never shrinks: tcp_write() measures the queue's last segment
// against it, and a segment already longer than it makes that arithmetic wrap (lwIP then
// grows the segment past anything the interface can send).
#pragma once

#include <cstdint>

struct tcp_pcb;

namespace coronet::net::send_window {

// Cuts the first unsent segment to fit a window of `window` bytes from sequence number
// `acknowledged` (in whole link-sized segments where it can). Nothing happens when the segment
// is link-sized, when it fits the whole window (acknowledgements will make room), or when the
// window is already full.
void fit(tcp_pcb* pcb, uint32_t window, uint32_t acknowledged);

}  // namespace coronet::net::send_window
