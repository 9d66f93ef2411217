// TcpStream and TcpListener over lwIP's raw API. The callbacks only move data and wake
// coroutines; all waiting happens in the calling coroutine.
#include "net/tcp.hpp"

#include <new>

#include "kernel/log.hpp"
#include "kernel/memory/memory.hpp"
#include "lib/time_units.hpp"
#include "lwip/priv/tcp_priv.h"
#include "net/lwip/error.hpp"
#include "net/lwip/interface.hpp"
#include "net/lwip/pcb_index.hpp"
#include "net/lwip/send_window.hpp"
#include "net/lwip/stack.hpp"
#include "net/tcp_connection.hpp"

namespace coronet::net {
namespace {

constexpr uint64_t kMemoryRetryNs = 10 * kMillisecond;

void free_if_done(TcpConnection* c) {
    if (c->app_closed && !c->pcb) {
        if (c->received) pbuf_free(c->received);
        delete c;
    }
}

err_t on_receive(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
    auto* c = static_cast<TcpConnection*>(arg);
    if (!c) {  // the app is gone: drop what arrives
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (!p) {
        c->peer_closed = true;
    } else if (err != ERR_OK) {
        pbuf_free(p);
        return err;
    } else if (c->received) {
        pbuf_cat(c->received, p);
    } else {
        c->received = p;
    }
    c->readers.notify_all();
    return ERR_OK;
}

err_t on_sent(void* arg, tcp_pcb*, u16_t) {
    if (auto* c = static_cast<TcpConnection*>(arg)) c->writers.notify_all();
    return ERR_OK;
}

// lwIP has already freed the pcb (reset by the peer, or aborted).
void on_error(void* arg, err_t err) {
    auto* c = static_cast<TcpConnection*>(arg);
    if (!c) return;
    c->pcb = nullptr;
    c->error = error_from_lwip(err);
    c->readers.notify_all();
    c->writers.notify_all();
    free_if_done(c);
}

// Sends what is queued, the first segment cut to the peer's window if it is too long for it
// (send_window.hpp).
void output(tcp_pcb* pcb) {
    send_window::fit(pcb, pcb->snd_wnd, pcb->lastack);
    tcp_output(pcb);
}

void apply_keepalive(tcp_pcb* pcb, const Keepalive& keepalive) {
    if (!keepalive.enabled()) {
        ip_reset_option(pcb, SOF_KEEPALIVE);
        return;
    }
    auto ms = [](uint64_t ns) {
        uint64_t value = ns_to_ms(ns);
        return static_cast<u32_t>(value > 0xFFFFFFFFu ? 0xFFFFFFFFu : (value ? value : 1));
    };
    pcb->keep_idle = ms(keepalive.idle_ns);
    pcb->keep_intvl = ms(keepalive.interval_ns);
    pcb->keep_cnt = keepalive.count ? keepalive.count : 1;
    ip_set_option(pcb, SOF_KEEPALIVE);
}

}  // namespace

TcpConnection* TcpConnection::adopt(tcp_pcb* new_pcb) {
    auto* c = new (std::nothrow) TcpConnection();
    if (c) c->attach(new_pcb);
    return c;
}

void TcpConnection::attach(tcp_pcb* new_pcb) {
    pcb = new_pcb;
    tcp_arg(pcb, this);
    tcp_recv(pcb, on_receive);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    tcp_nagle_disable(pcb);  // request/response traffic: no waiting to coalesce small writes
}

void TcpConnection::established(tcp_pcb* pcb) {
    // A device that segments TCP itself gets larger segments: lwIP's work, the copies and the
    // ring entries are per segment. One of them must fit in the first congestion window.
    if (uint16_t mss = segmentation_mss(pcb)) {
        pcb->mss = mss;
        if (pcb->cwnd < mss) pcb->cwnd = mss;
    }
}

void TcpConnection::leave_listener() {
    stop_being_reclaimable();
    if (listener) {
        --listener->m_stats.open;
        listener = nullptr;
    }
}

void TcpConnection::stop_being_reclaimable() {
    if (!reclaim_lists) return;
    (reclaim_partial ? reclaim_lists->partial : reclaim_lists->idle).remove(*this);
    reclaim_lists = nullptr;
}

void TcpConnection::release(bool reset) {
    app_closed = true;
    leave_listener();  // counted open until now, even if lwIP ended it earlier
    if (pcb) {
        tcp_pcb* p = pcb;
        tcp_arg(p, nullptr);  // further callbacks see no connection
        tcp_sent(p, nullptr);
        tcp_err(p, nullptr);
        pcb = nullptr;
        pcb_index::to_front(p);  // if lwIP takes it off its list now, it finds it at once
        if (reset || tcp_close(p) != ERR_OK) tcp_abort(p);  // close fails only without memory
        stack_activity();
    }
    free_if_done(this);
}

TcpStream& TcpStream::operator=(TcpStream&& other) {
    if (this != &other) {
        close();
        m_connection = other.m_connection;
        other.m_connection = nullptr;
    }
    return *this;
}

Result<void> TcpStream::wait_readable(sched::Deadline deadline, Reclaim reclaim) {
    TcpConnection* c = m_connection;
    if (!c) return Error::Closed;
    bool waiting = !c->received && !c->peer_closed && c->error == Error::None;
    if (waiting && reclaim != Reclaim::Never && c->listener && !c->reclaimed) {
        ListenerLists* lists = c->listener->m_lists;
        c->reclaim_partial = reclaim == Reclaim::Partial;
        (c->reclaim_partial ? lists->partial : lists->idle).push_back(*c);
        c->reclaim_lists = lists;
    }
    Result<void> waited;
    while (waited && !c->received && !c->peer_closed && c->error == Error::None && !c->reclaimed &&
           !c->interrupted)
        waited = c->readers.wait(deadline);
    c->stop_being_reclaimable();
    if (c->reclaimed) return Error::Closed;
    if (c->interrupted && !c->received) {
        c->interrupted = false;
        return Error::Busy;
    }
    return waited;
}

void TcpStream::interrupt() {
    TcpConnection* c = m_connection;
    if (!c) return;
    c->interrupted = true;
    c->readers.notify_all();
}

bool TcpStream::peer_gone() const {
    TcpConnection* c = m_connection;
    return !c || c->peer_closed || c->error != Error::None || c->reclaimed;
}

Result<void> TcpStream::wait_peer_gone(sched::Deadline deadline) {
    TcpConnection* c = m_connection;
    while (!peer_gone()) {
        if (c->interrupted) {
            c->interrupted = false;
            return Error::Busy;
        }
        TRY_VOID(c->readers.wait(deadline));
    }
    return {};
}

Result<size_t> TcpStream::read(void* buffer, size_t length, sched::Deadline deadline) {
    TcpConnection* c = m_connection;
    if (!c) return Error::Closed;
    if (length == 0) return size_t(0);
    while (!c->received) {
        if (c->peer_closed) return size_t(0);
        if (c->error != Error::None) return c->error;
        if (c->interrupted) {
            c->interrupted = false;
            return Error::Busy;
        }
        TRY_VOID(c->readers.wait(deadline));
    }
    size_t copied = pbuf_copy_partial(c->received, buffer,
                                      static_cast<u16_t>(length > 0xFFFF ? 0xFFFF : length),
                                      static_cast<u16_t>(c->offset));
    c->offset += copied;
    // Free the pbufs read completely.
    while (c->received && c->offset >= c->received->len) {
        pbuf* head = c->received;
        c->offset -= head->len;
        c->received = head->next;
        if (c->received) pbuf_ref(c->received);
        pbuf_free(head);
    }
    if (c->pcb) {
        tcp_recved(c->pcb, static_cast<u16_t>(copied));  // reopen the window by what was read
        stack_activity();
    }
    return copied;
}

Result<size_t> TcpStream::write(const void* data, size_t length, sched::Deadline deadline) {
    TcpConnection* c = m_connection;
    if (!c) return Error::Closed;
    for (;;) {
        if (c->error != Error::None) return c->error;
        if (!c->pcb) return Error::Closed;
        size_t room = tcp_sndbuf(c->pcb);
        if (room > 0 && tcp_sndqueuelen(c->pcb) < TCP_SND_QUEUELEN) {
            size_t n = length < room ? length : room;
            if (n > 0xFFFF) n = 0xFFFF;
            err_t err = tcp_write(c->pcb, data, static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY);
            if (err == ERR_OK) {
                output(c->pcb);
                stack_activity();
                return n;
            }
            if (err != ERR_MEM) return error_from_lwip(err);
        }
        // Full: what is queued goes out now; we wait for the peer's acknowledgements. If the
        // stack's shared segment pool ran dry there may be nothing of ours in flight to ack,
        // so never wait longer than kMemoryRetryNs before trying again.
        output(c->pcb);
        stack_activity();
        sched::Deadline retry = sched::now() + kMemoryRetryNs;
        auto waited = c->writers.wait(retry < deadline ? retry : deadline);
        if (!waited && sched::now() >= deadline) return waited.error();
    }
}

Result<void> TcpStream::write_all(const void* data, size_t length, sched::Deadline deadline) {
    auto* bytes = static_cast<const uint8_t*>(data);
    while (length) {
        size_t n = TRY(write(bytes, length, deadline));
        bytes += n;
        length -= n;
    }
    return {};
}

Result<void> TcpStream::shutdown() {
    TcpConnection* c = m_connection;
    if (!c || !c->pcb) return Error::Closed;
    err_t err = tcp_shutdown(c->pcb, 0, 1);
    stack_activity();
    if (err != ERR_OK) return error_from_lwip(err);
    return {};
}

void TcpStream::close() {
    if (!m_connection) return;
    TcpConnection* c = m_connection;
    m_connection = nullptr;
    c->release(false);
}

void TcpStream::abort() {
    if (!m_connection) return;
    TcpConnection* c = m_connection;
    m_connection = nullptr;
    c->release(true);
}

Result<void> TcpStream::set_keepalive(const Keepalive& keepalive) {
    if (!m_connection || !m_connection->pcb) return Error::Closed;
    apply_keepalive(m_connection->pcb, keepalive);
    return {};
}

Endpoint TcpStream::peer() const {
    if (!m_connection || !m_connection->pcb) return {};
    return Endpoint{m_connection->pcb->remote_ip, m_connection->pcb->remote_port};
}

Endpoint TcpStream::local() const {
    if (!m_connection || !m_connection->pcb) return {};
    return Endpoint{m_connection->pcb->local_ip, m_connection->pcb->local_port};
}

Result<TcpListener*> TcpListener::bind(uint16_t port, const ListenOptions& options) {
    auto* listener = new (std::nothrow) TcpListener();
    if (!listener) return Error::OutOfMemory;
    listener->m_options = options;
    listener->m_port = port;
    listener->m_lists = new (std::nothrow) ListenerLists();
    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    Error error = Error::None;
    tcp_pcb* listening = nullptr;
    if (!pcb || !listener->m_lists) error = Error::OutOfMemory;
    else if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) error = Error::Busy;
    else if (!(listening = tcp_listen_with_backlog(pcb, 255))) error = Error::OutOfMemory;
    if (error != Error::None) {
        if (pcb) tcp_abort(pcb);
        delete listener->m_lists;
        delete listener;
        return error;
    }
    listener->m_pcb = listening;
    tcp_arg(listening, listener);
    tcp_accept(listening, on_accept);
    pcb_index::track_listener(listening);  // its connections are indexed from their SYN
    return listener;
}

err_t TcpListener::on_accept(void* arg, tcp_pcb* pcb, err_t err) {
    auto* self = static_cast<TcpListener*>(arg);
    if (err != ERR_OK || !pcb) return ERR_VAL;
    bool low_memory = memory::short_of_memory();
    bool room = !low_memory &&
                (self->m_stats.open < self->m_options.max_connections || self->reclaim_one());
    if (!room) {
        ++self->m_stats.refused;
        if (low_memory) {
            ++self->m_stats.refused_low_memory;
            memory::count_refusal();
        }
        tcp_abort(pcb);  // a clean refusal: the client sees a reset, not a hang
        return ERR_ABRT;
    }
    TcpConnection* c = TcpConnection::adopt(pcb);
    if (!c) {
        ++self->m_stats.refused;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->listener = self;
    TcpConnection::established(pcb);
    apply_keepalive(pcb, self->m_options.keepalive);
    ++self->m_stats.open;
    ++self->m_stats.accepted;
    self->m_lists->accepted.push_back(*c);
    self->m_acceptors.notify_one();
    return ERR_OK;
}

bool TcpListener::reclaim_one() {
    TcpConnection* victim = m_lists->idle.front();
    if (!victim) victim = m_lists->partial.front();
    if (!victim) return false;
    // Its coroutine wakes to Error::Closed and closes it gracefully; the slot is free now.
    victim->reclaimed = true;
    victim->leave_listener();
    victim->readers.notify_all();
    ++m_stats.reclaimed;
    return true;
}

void TcpListener::refuse(TcpStream&& stream) {
    ++m_stats.refused;
    stream.abort();
}

Result<TcpStream> TcpListener::accept(sched::Deadline deadline) {
    while (m_lists->accepted.empty()) TRY_VOID(m_acceptors.wait(deadline));
    return TcpStream(m_lists->accepted.pop_front());
}

}  // namespace coronet::net
