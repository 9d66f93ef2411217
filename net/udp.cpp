// UdpSocket over lwIP's raw UDP API.
#include "net/udp.hpp"

#include <new>
#include <utility>

#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "net/lwip/error.hpp"
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
    while (!m_queue.empty()) pbuf_free(m_queue.pop().data);
}

void UdpSocket::on_receive(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* address, uint16_t port) {
    auto* self = static_cast<UdpSocket*>(arg);
    Datagram d{p, {}};
    ip_addr_copy(d.from.address, *address);
    d.from.port = port;
    if (!self->m_queue.push(std::move(d))) {
        ++self->m_dropped;
        pbuf_free(p);
        return;
    }
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
    if (err != ERR_OK) return error_from_lwip(err);
    return {};
}

Result<size_t> UdpSocket::receive_from(void* buffer, size_t length, Endpoint& from,
                                       sched::Deadline deadline) {
    while (m_queue.empty()) TRY_VOID(m_readers.wait(deadline));
    Datagram d = m_queue.pop();
    size_t size = d.data->tot_len;
    pbuf_copy_partial(d.data, buffer, static_cast<u16_t>(length < size ? length : size), 0);
    pbuf_free(d.data);
    from = d.from;
    return size;
}

}  // namespace coronet::net
