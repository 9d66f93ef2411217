// UdpSocket over lwIP's raw UDP API.
#include "net/udp.hpp"

#include <new>

#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "net/lwip/stack.hpp"

namespace coronet::net {

Result<UdpSocket*> UdpSocket::bind(uint16_t port) {
    auto* socket = new (std::nothrow) UdpSocket();
    if (!socket) return Error::OutOfMemory;
    socket->m_pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
    if (!socket->m_pcb) {
        delete socket;
        return Error::OutOfMemory;
    }
    if (udp_bind(socket->m_pcb, IP_ANY_TYPE, port) != ERR_OK) {
        delete socket;
        return Error::Busy;
    }
    udp_recv(socket->m_pcb, on_receive, socket);
    return socket;
}

UdpSocket::~UdpSocket() {
    if (m_pcb) udp_remove(m_pcb);
    for (size_t i = 0; i < m_count; ++i) pbuf_free(m_queue[(m_head + i) % kUdpQueueLimit].data);
}

void UdpSocket::on_receive(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* address, uint16_t port) {
    auto* self = static_cast<UdpSocket*>(arg);
    if (self->m_count == kUdpQueueLimit) {
        ++self->m_dropped;
        pbuf_free(p);
        return;
    }
    Datagram& d = self->m_queue[(self->m_head + self->m_count) % kUdpQueueLimit];
    d.data = p;
    ip_addr_copy(d.from.address, *address);
    d.from.port = port;
    ++self->m_count;
    self->m_readers.notify_one();
}

Result<void> UdpSocket::send_to(const Endpoint& to, const void* data, size_t length) {
    if (length > 0xFFFF) return Error::InvalidArgument;
    pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(length), PBUF_RAM);
    if (!p) return Error::OutOfMemory;
    pbuf_take(p, data, static_cast<u16_t>(length));
    err_t err = udp_sendto(m_pcb, p, &to.address, to.port);
    pbuf_free(p);
    stack_activity();
    if (err != ERR_OK) return err == ERR_MEM ? Error::OutOfMemory : Error::Unsupported;
    return {};
}

Result<size_t> UdpSocket::receive_from(void* buffer, size_t length, Endpoint& from, sched::Deadline deadline) {
    while (m_count == 0) TRY_VOID(m_readers.wait(deadline));
    Datagram d = m_queue[m_head];
    m_head = (m_head + 1) % kUdpQueueLimit;
    --m_count;
    size_t size = d.data->tot_len;
    pbuf_copy_partial(d.data, buffer, static_cast<u16_t>(length < size ? length : size), 0);
    pbuf_free(d.data);
    from = d.from;
    return size;
}

}  // namespace coronet::net
