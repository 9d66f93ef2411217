// The retransmission timer of retransmit.hpp: one record per connection with data in flight,
// hung on the control block by an extension argument, in a deadline heap. The heap is updated
// lazily: an acknowledgement only moves the record's own deadline; when the heap entry comes due
// early, it is put back for the real one. A record is freed once everything it timed is
// acknowledged (or with its block): an idle connection holds none, and its next flight starts
// from the path's last RTT.
#include "net/lwip/retransmit.hpp"

#include <new>

#include "kernel/sched/timer_heap.hpp"
#include "lib/time_units.hpp"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "net/lwip/interface.hpp"
#include "net/lwip/send_window.hpp"

namespace coronet::net::retransmit {
namespace {

constexpr uint64_t kClockGranularityNs = kMillisecond;  // RFC 6298's G
constexpr uint64_t kLeastProbeNs = 10 * kMillisecond;   // RFC 8985's floor for the probe time
constexpr uint8_t kMostProbes = 4;  // per silence, each twice as late as the one before
// lwIP sends nothing again while the device holds the segment (sent in place, reclaimed lazily):
// the device is asked to give it back, and the retransmission tried again this soon.
constexpr uint64_t kBusyRetryNs = kMillisecond;
constexpr uint8_t kMaxBackoff = 16;

struct Flight {
    sched::TimerNode timer;  // in g_heap while data may be in flight (first, for the cast)
    tcp_pcb* pcb;
    uint64_t progress_at = 0;  // the last acknowledgement of new data, or the flight's first send
    uint64_t timed_at = 0;     // when the segment ending at timed_seq was sent
    uint32_t timed_seq = 0;
    uint32_t srtt_us = 0;  // 0: nothing measured yet
    uint32_t rttvar_us = 0;
    uint32_t recover = 0;  // fast recovery: what was sent when it began (RFC 6582's "recover")
    uint8_t backoff = 0;   // time-outs in a row
    bool timing = false;
    bool recovering = false;
    uint8_t probes = 0;  // heads sent again at probe times since the last progress
};

Options g_options;
sched::TimerHeap g_heap;
u8_t g_id = 0;
bool g_id_allocated = false;
Stats g_stats{};
tcp_pcb* g_partial_ack = nullptr;  // the segment being input acknowledged part of a recovery
uint32_t g_path_srtt_us = 0;       // the last sample's connection, for connections with none yet
uint32_t g_path_rttvar_us = 0;

void free_flight(Flight* flight) {
    if (g_partial_ack == flight->pcb) g_partial_ack = nullptr;
    if (flight->timer.queued()) {
        g_heap.remove(flight->timer);
        --g_stats.in_flight;
    }
    --g_stats.timed;
    delete flight;
}

void on_destroy(u8_t, void* data) { free_flight(static_cast<Flight*>(data)); }

const tcp_ext_arg_callbacks kCallbacks = {on_destroy, nullptr};
const tcp_ext_arg_callbacks kNoCallbacks = {nullptr, nullptr};  // lwIP takes no null table

// Nothing in flight any more: the record goes, the block keeps an empty slot.
void retire(tcp_pcb* pcb, Flight* flight) {
    tcp_ext_arg_set(pcb, g_id, nullptr);
    tcp_ext_arg_set_callbacks(pcb, g_id, &kNoCallbacks);
    free_flight(flight);
}

Flight* flight_of(const tcp_pcb* pcb) {
    if (!g_id_allocated) return nullptr;
    return static_cast<Flight*>(tcp_ext_arg_get(pcb, g_id));
}

uint64_t timeout_ns(const Flight& f) {
    uint64_t rto;
    if (f.srtt_us) {
        uint64_t variance = 4 * us_to_ns(f.rttvar_us);
        rto =
            us_to_ns(f.srtt_us) + (variance > kClockGranularityNs ? variance : kClockGranularityNs);
    } else {
        rto = g_options.rto_initial_ns;
    }
    if (rto < g_options.rto_min_ns) rto = g_options.rto_min_ns;
    for (uint8_t i = 0; i < f.backoff && rto < g_options.rto_max_ns; ++i) rto *= 2;
    return rto < g_options.rto_max_ns ? rto : g_options.rto_max_ns;
}

// When, after the last progress, the head of a flight of more than one full-size segment is sent
// again if nothing has been acknowledged (RFC 8985's probe time, 2 SRTT): the receiver
// acknowledges every second segment at once, so silence that long means the head (or its
// acknowledgements) was lost. Each further probe waits twice as long as the one before (a
// resent head can be lost too, and with few segments out there are no duplicate
// acknowledgements to tell); the time-out comes after them. With one segment in flight the
// receiver may be delaying its acknowledgement: the time-out handles it. 0: no probe (nothing
// measured yet, one segment, or all probes spent).
uint64_t probe_ns(const Flight& f, const tcp_pcb* pcb) {
    if (!f.srtt_us || f.probes >= kMostProbes || !pcb->unacked ||
        pcb->snd_nxt - pcb->lastack <= TCP_MSS)
        return 0;
    uint64_t first = 2 * us_to_ns(f.srtt_us);
    if (first < kLeastProbeNs) first = kLeastProbeNs;
    return first * ((2u << f.probes) - 1);  // 1, 3, 7, 15 times the first after the progress
}

// The next thing due: the probe, or the time-out.
uint64_t next_due(const Flight& f, const tcp_pcb* pcb) {
    uint64_t due = f.progress_at + timeout_ns(f);
    if (uint64_t probe = probe_ns(f, pcb); probe && f.progress_at + probe < due)
        due = f.progress_at + probe;
    return due;
}

// RFC 6298 2.2 and 2.3, in microseconds.
void sample(Flight& f, uint64_t rtt_ns) {
    uint64_t r = ns_to_us(rtt_ns);
    if (r > 0xFFFFFFFFu / 8) r = 0xFFFFFFFFu / 8;
    if (!f.srtt_us) {
        f.srtt_us = r ? static_cast<uint32_t>(r) : 1;
        f.rttvar_us = static_cast<uint32_t>(r / 2);
    } else {
        uint64_t deviation = f.srtt_us > r ? f.srtt_us - r : r - f.srtt_us;
        f.rttvar_us = static_cast<uint32_t>((3 * uint64_t{f.rttvar_us} + deviation) / 4);
        uint64_t srtt = (7 * uint64_t{f.srtt_us} + r) / 8;
        f.srtt_us = srtt ? static_cast<uint32_t>(srtt) : 1;
    }
    g_path_srtt_us = f.srtt_us;
    g_path_rttvar_us = f.rttvar_us;
    ++g_stats.rtt_samples;
}

Flight* create(tcp_pcb* pcb) {
    if (!g_id_allocated) {
        g_id = tcp_ext_arg_alloc_id();
        g_id_allocated = true;
    }
    auto* flight = new (std::nothrow) Flight();
    if (!flight) return nullptr;
    flight->pcb = pcb;
    flight->srtt_us = g_path_srtt_us;
    flight->rttvar_us = g_path_rttvar_us;
    tcp_ext_arg_set_callbacks(pcb, g_id, &kCallbacks);
    tcp_ext_arg_set(pcb, g_id, flight);
    ++g_stats.timed;
    return flight;
}

bool arm(Flight& f, uint64_t deadline) {
    if (f.timer.queued()) return true;
    if (!g_heap.insert(f.timer, deadline)) return false;
    ++g_stats.in_flight;
    return true;
}

bool synchronized(const tcp_pcb* pcb) {
    return pcb->state >= ESTABLISHED && pcb->state != TIME_WAIT;
}

// lwIP's own timer (in slow-timer ticks from the last retransmission) fires no earlier than ours.
void push_back_lwip_timer(tcp_pcb* pcb, uint64_t rto_ns) {
    uint64_t ticks = rto_ns / ms_to_ns(TCP_SLOW_INTERVAL) + 2;
    if (ticks > 0x7FFF) ticks = 0x7FFF;
    if (pcb->rto < static_cast<s16_t>(ticks)) pcb->rto = static_cast<s16_t>(ticks);
    pcb->rtime = 0;
}

// A time-out: everything unacknowledged goes again, from one segment of congestion window.
bool retransmit(tcp_pcb* pcb) {
    if (tcp_rexmit_rto_prepare(pcb) != ERR_OK) return false;  // a segment still in the device
    tcpwnd_size_t window = pcb->cwnd < pcb->snd_wnd ? pcb->cwnd : pcb->snd_wnd;
    pcb->ssthresh = window / 2;
    if (pcb->ssthresh < tcpwnd_size_t(2 * pcb->mss)) pcb->ssthresh = tcpwnd_size_t(2 * pcb->mss);
    pcb->cwnd = pcb->mss;
    pcb->bytes_acked = 0;
    tcp_rexmit_rto_commit(pcb);
    return true;
}

}  // namespace

void configure(const Options& options) { g_options = options; }

sched::Deadline next_deadline() {
    sched::TimerNode* first = g_heap.earliest();
    return first ? first->deadline : sched::kForever;
}

sched::Deadline run(sched::Deadline now) {
    bool took_received = false;
    while (sched::TimerNode* node = g_heap.pop_due(now)) {
        auto* f = reinterpret_cast<Flight*>(node);
        tcp_pcb* pcb = f->pcb;
        --g_stats.in_flight;
        if (!synchronized(pcb) || (!pcb->unacked && !pcb->unsent)) {  // nothing in flight
            retire(pcb, f);
            continue;
        }
        uint64_t probe = probe_ns(*f, pcb);
        bool probe_due = probe && f->progress_at + probe <= now;
        if ((probe_due || f->progress_at + timeout_ns(*f) <= now) && !took_received) {
            // Before anything goes again, what the devices have received counts: with many
            // coroutines to run, acknowledgements can wait in the ring past a time-out. The
            // record stays queued meanwhile (an acknowledgement may free it).
            took_received = true;
            if (!arm(*f, now)) ++g_stats.untracked;
            take_received();
            continue;
        }
        if (probe_due && f->progress_at + timeout_ns(*f) > now) {
            // Nothing acknowledged for 2 SRTT with several segments out: the head again, alone,
            // the congestion window as it is (a loss it finds is answered by fast recovery).
            sched::Deadline next = now + kBusyRetryNs;
            if (tcp_rexmit(pcb) == ERR_OK) {
                tcp_output(pcb);
                ++g_stats.probes;
                ++f->probes;
                f->timing = false;
                next = next_due(*f, pcb);
            } else {
                reclaim_transmitted();  // the device still holds the head: have it let go
            }
            if (!arm(*f, next)) ++g_stats.untracked;
            continue;
        }
        uint64_t due = f->progress_at + timeout_ns(*f);
        if (pcb->unacked && due <= now) {
            if (retransmit(pcb)) {
                ++g_stats.timeouts;
                f->timing = false;  // Karn: what was timed has gone twice
                if (f->backoff < kMaxBackoff) ++f->backoff;
                f->progress_at = now;
                push_back_lwip_timer(pcb, timeout_ns(*f));
                due = now + timeout_ns(*f);
            } else {
                reclaim_transmitted();  // the device still holds a segment: have it let go
                due = now + kBusyRetryNs;
            }
        } else if (due <= now) {
            due = now + timeout_ns(*f);  // only unsent data (a closed window): lwIP probes it
        } else {
            due = next_due(*f, pcb);  // not yet: an acknowledgement moved it
        }
        if (!arm(*f, due)) ++g_stats.untracked;
    }
    return next_deadline();
}

void after_input() {
    tcp_pcb* pcb = g_partial_ack;
    if (!pcb) return;
    g_partial_ack = nullptr;
    // lwIP left fast recovery on this acknowledgement of new data; the segment after it was lost
    // too (RFC 6582 3.2 step 3): send it now, and stay in recovery until all of it is acknowledged.
    if (!pcb->unacked) return;
    if (tcp_rexmit(pcb) != ERR_OK) {  // the device still holds it: the probe comes soon instead
        reclaim_transmitted();
        return;
    }
    tcp_set_flags(pcb, TF_INFR);
    tcp_output(pcb);
    ++g_stats.partial_acks;
}

void resume() {
    uint64_t now = sched::now();
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
        if (!synchronized(pcb)) continue;
        // A window larger than the peer last heard of goes out at once: an update lost while the
        // link was down would leave the peer probing on its own backed-off timer. A connection
        // waiting on the peer's closed window probes now, the backoff its probes grew while
        // nothing could answer reset.
        if (pcb->rcv_ann_wnd < pcb->rcv_wnd) tcp_ack_now(pcb);
        if (pcb->persist_backoff > 0) {
            pcb->persist_backoff = 1;
            pcb->persist_cnt = 0;
            tcp_zero_window_probe(pcb);
        }
        Flight* f = flight_of(pcb);
        if (!pcb->unacked || !f) {
            // What found no route while the link was down waits, unsent.
            tcp_output(pcb);
            continue;
        }
        f->backoff = 0;
        f->timing = false;
        f->progress_at = now;
        if (retransmit(pcb)) {
            ++g_stats.timeouts;
            push_back_lwip_timer(pcb, timeout_ns(*f));
        }
        if (!arm(*f, next_due(*f, pcb))) ++g_stats.untracked;
    }
}

Stats stats() {
    Stats s = g_stats;
    s.srtt_us = g_path_srtt_us;
    return s;
}

}  // namespace coronet::net::retransmit

using namespace coronet;
using namespace coronet::net::retransmit;

// Every segment lwIP sends (tcp_output_segment), and every bare ACK or RST (pcb may be null or a
// listener): options are left as they are.
extern "C" uint32_t* coronet_tcp_out_hook(pbuf* p, tcp_hdr* header, const tcp_pcb* const_pcb,
                                          uint32_t* options) {
    if (!const_pcb || !synchronized(const_pcb)) return options;
    size_t header_bytes = TCPH_HDRLEN_BYTES(header);
    uint32_t length = p->tot_len > header_bytes ? p->tot_len - header_bytes : 0;
    if (TCPH_FLAGS(header) & TCP_FIN) ++length;
    if (!length) return options;                  // an ACK: nothing to time or retransmit
    auto* pcb = const_cast<tcp_pcb*>(const_pcb);  // ours to annotate: no TCP state changes
    Flight* f = flight_of(pcb);
    if (!f && !(f = create(pcb))) {
        ++g_stats.untracked;
        return options;
    }
    uint32_t seq = lwip_ntohl(header->seqno);
    uint64_t now = sched::now();
    if (TCP_SEQ_LT(seq, pcb->snd_nxt)) {
        // Sent again (lwIP's fast retransmit or ours): its acknowledgement times nothing.
        if (f->timing && TCP_SEQ_LT(seq, f->timed_seq)) f->timing = false;
        return options;
    }
    if (!pcb->unacked) {  // the first segment in flight: the timer starts now
        f->progress_at = now;
        f->backoff = 0;
    }
    if (!f->timing) {
        f->timing = true;
        f->timed_seq = seq + length;
        f->timed_at = now;
    }
    // A first look at the probe time: the segment is not on lwIP's unacknowledged list yet.
    uint64_t look = f->srtt_us ? 2 * us_to_ns(f->srtt_us) : timeout_ns(*f);
    if (look < kLeastProbeNs) look = kLeastProbeNs;
    if (!arm(*f, now + look)) ++g_stats.untracked;
    return options;
}

// Each segment for a connection (or a listener, or one in TIME-WAIT), before lwIP processes it:
// a window that cannot take the first unsent segment whole has it cut (send_window.hpp); an
// acknowledgement of new data moves the retransmission timer.
extern "C" int coronet_tcp_in_hook(tcp_pcb* pcb, tcp_hdr* header) {
    if (!(TCPH_FLAGS(header) & TCP_ACK) || !synchronized(pcb)) return ERR_OK;
    uint32_t ack = header->ackno;  // tcp_input has turned it (and the window) to host order
    if (TCP_SEQ_BETWEEN(ack, pcb->lastack, pcb->snd_nxt))
        net::send_window::fit(pcb, SND_WND_SCALE(pcb, header->wnd), ack);
    Flight* f = flight_of(pcb);
    if (!f) return ERR_OK;
    // lwIP went into fast recovery on an earlier duplicate: remember how far it has to go.
    if ((pcb->flags & TF_INFR) && !f->recovering) {
        f->recovering = true;
        f->recover = pcb->snd_nxt;
    }
    if (!TCP_SEQ_BETWEEN(ack, pcb->lastack + 1, pcb->snd_nxt)) return ERR_OK;
    uint64_t now = sched::now();
    f->progress_at = now;
    f->backoff = 0;
    f->probes = 0;
    if (f->recovering && TCP_SEQ_LT(ack, f->recover)) {
        g_partial_ack = pcb;  // after lwIP has taken it in (after_input)
    } else {
        f->recovering = false;
    }
    if (f->timing && TCP_SEQ_GEQ(ack, f->timed_seq)) {
        sample(*f, now - f->timed_at);
        f->timing = false;
    }
    // Everything sent is acknowledged: lwIP may send more after this segment (a new record then).
    if (ack == pcb->snd_nxt && !pcb->unsent) retire(pcb, f);
    return ERR_OK;
}
