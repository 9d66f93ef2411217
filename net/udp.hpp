// UDP for coroutines: datagrams queued (bounded) until received; sends go straight out.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/wait_queue.hpp"
#include "lib/result.hpp"
#include "lib/ring.hpp"
#include "net/ip_address.hpp"

struct udp_pcb;
struct pbuf;

namespace coronet::net {

inline constexpr size_t kUdpQueueLimit = 64;  // datagrams waiting per socket; more are dropped

class UdpSocket {
public:
    static Result<UdpSocket*> bind(uint16_t port);
    ~UdpSocket();

    Result<void> send_to(const Endpoint& to, const void* data, size_t length);
    // One datagram into `buffer` (truncated to `length`); returns its full size and sender.
    Result<size_t> receive_from(void* buffer, size_t length, Endpoint& from,
                                sched::Deadline deadline = sched::kForever);
    uint64_t dropped() const { return m_dropped; }

private:
    UdpSocket() = default;
    static void on_receive(void* arg, udp_pcb* pcb, pbuf* p, const ip_addr_t* address,
                           uint16_t port);

    struct Datagram {
        pbuf* data;
        Endpoint from;
    };
    udp_pcb* m_pcb = nullptr;
    Ring<Datagram, kUdpQueueLimit> m_queue;
    uint64_t m_dropped = 0;
    sched::WaitQueue m_readers;
};

}  // namespace coronet::net
