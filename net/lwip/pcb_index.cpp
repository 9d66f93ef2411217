// Open addressing with linear probing over control-block pointers; the key is read from the
// block itself (remote address and port; local address and port compared), so the table
// stores nothing else.
// Each indexed block's extension argument is the block itself, for the destroy callback.
#include "net/lwip/pcb_index.hpp"

#include <cstdlib>

#include "lib/assert.hpp"
#include "lwip/ip.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

namespace coronet::net::pcb_index {
namespace {

constexpr size_t kInitialSlots = 1024;  // a power of two
tcp_pcb* const kTombstone = reinterpret_cast<tcp_pcb*>(uintptr_t{1});

tcp_pcb** g_slots = nullptr;
size_t g_capacity = 0;  // slots, a power of two
size_t g_used = 0;      // live entries plus tombstones
Stats g_stats{};

// What lwIP is shown during one input (see pcb_index.hpp).
enum class View { Whole, Front, Empty };
View g_view = View::Whole;
tcp_pcb* g_saved_head = nullptr;  // the real list's head
tcp_pcb* g_front = nullptr;       // View::Front: the block put in front of it...
tcp_pcb* g_front_next = nullptr;  // ...and its successor on the real list

u8_t g_ext_id = 0;  // the index's slot in every block's extension arguments
bool g_ext_allocated = false;

// Of the remote end only: lwIP zeroes a block's local port when it takes it off its lists, and
// the destroy callback must still find the slot. (The local port is compared, not hashed.)
size_t hash(uint32_t remote, uint16_t remote_port) {
    uint64_t x = (uint64_t{remote} << 16) ^ remote_port;
    x *= 0x9E3779B97F4A7C15ULL;
    return static_cast<size_t>(x >> 32);
}

size_t hash_of(const tcp_pcb* pcb) {
    return hash(ip_2_ip4(&pcb->remote_ip)->addr, pcb->remote_port);
}

void insert(tcp_pcb* pcb) {
    size_t mask = g_capacity - 1;
    for (size_t i = hash_of(pcb) & mask;; i = (i + 1) & mask) {
        if (!g_slots[i] || g_slots[i] == kTombstone) {
            if (!g_slots[i]) ++g_used;
            g_slots[i] = pcb;
            return;
        }
    }
}

// Rebuilds the table with `capacity` slots (tombstones dropped); false without memory.
bool resize(size_t capacity) {
    auto* slots = static_cast<tcp_pcb**>(calloc(capacity, sizeof(tcp_pcb*)));
    if (!slots) return false;
    tcp_pcb** old = g_slots;
    size_t old_capacity = g_capacity;
    g_slots = slots;
    g_capacity = capacity;
    g_used = 0;
    for (size_t i = 0; i < old_capacity; ++i) {
        if (old[i] && old[i] != kTombstone) insert(old[i]);
    }
    free(old);
    return true;
}

// Tombstones the slot holding `pcb` (its addresses still readable); nothing if it is not there.
void erase(tcp_pcb* pcb) {
    size_t mask = g_capacity - 1;
    for (size_t i = hash_of(pcb) & mask; g_slots[i]; i = (i + 1) & mask) {
        if (g_slots[i] == pcb) {
            g_slots[i] = kTombstone;
            --g_stats.indexed;
            return;
        }
    }
}

bool add(tcp_pcb* pcb) {
    if (!g_slots && !resize(kInitialSlots)) return false;
    // At most half full, tombstones included: probes stay short.
    if ((g_used + 1) * 2 > g_capacity) {
        size_t live = g_stats.indexed + 1;
        size_t capacity = g_capacity;
        while (live * 4 > capacity) capacity *= 2;
        if (!resize(capacity)) return false;
    }
    insert(pcb);
    ++g_stats.indexed;
    return true;
}

// lwIP is about to free the block.
void on_destroy(u8_t, void* data) { erase(static_cast<tcp_pcb*>(data)); }

err_t on_passive_open(u8_t, tcp_pcb_listen*, tcp_pcb* pcb) { return track(pcb) ? ERR_OK : ERR_MEM; }

const tcp_ext_arg_callbacks kConnectionCallbacks = {on_destroy, nullptr};
const tcp_ext_arg_callbacks kListenerCallbacks = {nullptr, on_passive_open};

u8_t ext_id() {
    if (!g_ext_allocated) {
        g_ext_id = tcp_ext_arg_alloc_id();
        g_ext_allocated = true;
    }
    return g_ext_id;
}

// Whether lwIP keeps a block in this state on tcp_active_pcbs.
bool on_active_list(const tcp_pcb* pcb) {
    return pcb->state != CLOSED && pcb->state != LISTEN && pcb->state != TIME_WAIT;
}

// The indexed block on the active list for this segment's addresses and ports, or nullptr.
tcp_pcb* find(const ip_hdr* ip, const tcp_hdr* header) {
    if (!g_slots) return nullptr;
    uint32_t remote = ip->src.addr;
    uint16_t remote_port = lwip_ntohs(header->src);
    uint16_t local_port = lwip_ntohs(header->dest);
    size_t mask = g_capacity - 1;
    for (size_t i = hash(remote, remote_port) & mask; g_slots[i]; i = (i + 1) & mask) {
        tcp_pcb* pcb = g_slots[i];
        if (pcb != kTombstone && pcb->remote_port == remote_port && pcb->local_port == local_port &&
            ip_2_ip4(&pcb->remote_ip)->addr == remote &&
            ip_2_ip4(&pcb->local_ip)->addr == ip->dest.addr && on_active_list(pcb))
            return pcb;
    }
    return nullptr;
}

// View::Front is over and lwIP took the block off its list (TCP_RMV from the head leaves the
// successor there): unlink it from the real list too. The block may be freed already.
void unlink_front(tcp_pcb* front) {
    CORONET_ASSERT(tcp_active_pcbs == g_front_next && "lwIP changed the list beyond one block");
    ++g_stats.removals;
    if (g_saved_head == front) {
        tcp_active_pcbs = g_front_next;
        return;
    }
    tcp_active_pcbs = g_saved_head;
    for (tcp_pcb* p = g_saved_head; p; p = p->next) {
        if (p->next == front) {
            p->next = g_front_next;
            return;
        }
    }
    CORONET_UNREACHABLE("an indexed control block was not on lwIP's list");
}

}  // namespace

void track_listener(tcp_pcb* listening) {
    tcp_ext_arg_set_callbacks(listening, ext_id(), &kListenerCallbacks);
}

Result<void> track(tcp_pcb* pcb) {
    if (!IP_IS_V4_VAL(pcb->remote_ip)) return {};
    if (!add(pcb)) return Error::OutOfMemory;
    tcp_ext_arg_set_callbacks(pcb, ext_id(), &kConnectionCallbacks);
    tcp_ext_arg_set(pcb, ext_id(), pcb);
    return {};
}

void before_input(const ip_hdr* ip, const uint8_t* tcp, size_t length) {
    after_input();  // a view never undone (no input call came back to us): undo it first
    if (length < TCP_HLEN) return;
    tcp_pcb* pcb = find(ip, reinterpret_cast<const tcp_hdr*>(tcp));
    g_saved_head = tcp_active_pcbs;
    if (pcb) {
        g_view = View::Front;
        g_front = pcb;
        g_front_next = pcb->next;
        tcp_active_pcbs = pcb;
        ++g_stats.hits;
    } else {
        g_view = View::Empty;
        tcp_active_pcbs = nullptr;
        ++g_stats.skipped;
    }
}

void after_input() {
    View view = g_view;
    g_view = View::Whole;
    if (view == View::Front) {
        if (tcp_active_pcbs == g_front) tcp_active_pcbs = g_saved_head;  // as it always was
        else unlink_front(g_front);
    } else if (view == View::Empty) {
        // Blocks lwIP created meanwhile (a SYN's) go in front of the real list.
        tcp_pcb** tail = &tcp_active_pcbs;
        while (*tail) tail = &(*tail)->next;
        *tail = g_saved_head;
    }
}

Stats stats() { return g_stats; }

}  // namespace coronet::net::pcb_index
