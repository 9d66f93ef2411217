// One TCP connection as lwIP's raw-API callbacks see it: received data queued as pbufs until
// the app reads (the window stays closed until then: flow control), wait queues for readers and
// writers, and the error that ended it. Shared by TcpStream (the app's side) and the callbacks;
// freed when both are done with it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/list.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/result.hpp"
#include "lwip/tcp.h"

namespace coronet::net {

class TcpListener;

struct TcpConnection {
    tcp_pcb* pcb = nullptr;     // null once lwIP is done with the connection
    pbuf* received = nullptr;   // unread data, a pbuf chain
    size_t offset = 0;          // bytes of `received` already read
    bool peer_closed = false;   // FIN received
    bool connecting = false;    // TcpStream::connect() waits for the handshake
    bool app_closed = false;    // the TcpStream is gone
    Error error = Error::None;  // Reset, Closed (aborted), ...
    sched::WaitQueue readers;
    sched::WaitQueue writers;
    TcpListener* listener = nullptr;  // counts against its connection limit until the app lets go
    // From lwIP's accept callback until accept() takes it: in its listener's accept queue.
    sched::ListNode accept_node;
    // While the app waits with Reclaim::Idle or Reclaim::Partial: in its listener's list of
    // connections it may close to make room for a new one.
    sched::ListNode reclaim_node;
    ListenerLists* reclaim_lists = nullptr;  // the list reclaim_node is on belongs to these
    bool reclaim_partial = false;            // ...and is their `partial` list
    bool reclaimed = false;    // closed by the listener to make room: reads fail with Closed
    bool interrupted = false;  // TcpStream::interrupt(): the next wait for input returns Busy

    // A connection for a pcb lwIP has just accepted (or connected): the callbacks are installed.
    // nullptr when memory is exhausted (the caller aborts the pcb).
    static TcpConnection* adopt(tcp_pcb* new_pcb);
    void attach(tcp_pcb* new_pcb);
    // The handshake is done (accepted, or connected): the segment size is final.
    static void established(tcp_pcb* pcb);
    // The app is done: close gracefully (or abort when `reset`), free when lwIP is done too.
    void release(bool reset);
    // No longer counts against the listener's connection limit.
    void leave_listener();
    // Unlinks it from its listener's reclaim lists, if it is on one.
    void stop_being_reclaimable();
};

// A listener's connections, oldest first in each list: those accepted by lwIP and not yet taken
// by accept() (as many as its connection limit lets in: handshakes complete whenever their
// segments arrive, and one is never turned away for want of a queue slot), and the reclaimable
// ones (TcpStream::wait_readable with Reclaim).
struct ListenerLists {
    sched::IntrusiveList<TcpConnection, &TcpConnection::accept_node> accepted;
    using ReclaimList = sched::IntrusiveList<TcpConnection, &TcpConnection::reclaim_node>;
    ReclaimList idle;     // waiting for a next request
    ReclaimList partial;  // waiting for the rest of one
};

}  // namespace coronet::net
