// Open addressing with linear probing over control-block pointers; the key is read from the
// block itself (remote address and port hashed; local address and port compared), so the table
// stores nothing else. Each indexed block carries two extension arguments: itself (for the
// destroy callback, which is given only the argument) and its predecessor on tcp_active_pcbs.
#include "net/lwip/pcb_index.hpp"

#include <cstdlib>

#include "lib/assert.hpp"
#include "lwip/ip.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

namespace coronet::net::pcb_index {
namespace {

constexpr size_t kInitialSlots = 1024;  // a power of two
tcp_pcb* const kTombstone = reinterpret_cast<tcp_pcb*>(uintptr_t{1});
// A block's recorded predecessor when it is not on tcp_active_pcbs (nullptr means the head).
tcp_pcb* const kOffList = reinterpret_cast<tcp_pcb*>(uintptr_t{1});

tcp_pcb** g_slots = nullptr;
size_t g_capacity = 0;  // slots, a power of two
size_t g_used = 0;      // live entries plus tombstones
Stats g_stats{};

// What lwIP is shown during one input (see pcb_index.hpp).
enum class View { None, Front, Empty, Unread };
View g_view = View::None;
tcp_pcb* g_saved_head = nullptr;  // the real list's head
tcp_pcb* g_front = nullptr;       // View::Front: the block put in front of it,
tcp_pcb* g_front_prev = nullptr;  // its predecessor and successor on the real list,
tcp_pcb* g_front_next = nullptr;
bool g_front_freed = false;  // and whether lwIP freed it meanwhile

// The extension-argument slots: the block itself, and its predecessor.
u8_t g_self_id = 0;
u8_t g_prev_id = 0;
bool g_ids_allocated = false;

void allocate_ids() {
    if (g_ids_allocated) return;
    g_self_id = tcp_ext_arg_alloc_id();
    g_prev_id = tcp_ext_arg_alloc_id();
    g_ids_allocated = true;
}

tcp_pcb* prev_of(const tcp_pcb* pcb) {
    return static_cast<tcp_pcb*>(tcp_ext_arg_get(pcb, g_prev_id));
}
void set_prev(tcp_pcb* pcb, tcp_pcb* prev) { tcp_ext_arg_set(pcb, g_prev_id, prev); }

// A segment's addresses and ports, as the hooks read them (network order addresses, host
// order ports).
struct Tuple {
    bool v6;
    uint32_t remote[4];
    uint32_t local[4];
    uint16_t remote_port;
    uint16_t local_port;
    uint8_t zone;  // IPv6: the input interface's index
};

// Of the remote end only: lwIP zeroes a block's local port when it takes it off its lists, and
// the destroy callback must still find the slot.
size_t hash(const uint32_t* remote, bool v6, uint16_t remote_port) {
    uint32_t folded = v6 ? remote[0] ^ remote[1] ^ remote[2] ^ remote[3] : remote[0];
    uint64_t x = (uint64_t{folded} << 16) ^ remote_port;
    x *= 0x9E3779B97F4A7C15ULL;
    return static_cast<size_t>(x >> 32);
}

size_t hash_of(const tcp_pcb* pcb) {
    if (IP_IS_V6_VAL(pcb->remote_ip))
        return hash(ip_2_ip6(&pcb->remote_ip)->addr, true, pcb->remote_port);
    return hash(&ip_2_ip4(&pcb->remote_ip)->addr, false, pcb->remote_port);
}

bool same_address(const ip_addr_t& address, const uint32_t* words, bool v6, uint8_t zone) {
    if (!v6) return IP_IS_V4_VAL(address) && ip_2_ip4(&address)->addr == words[0];
    if (!IP_IS_V6_VAL(address)) return false;
    const ip6_addr_t* a = ip_2_ip6(&address);
    if (a->addr[0] != words[0] || a->addr[1] != words[1] || a->addr[2] != words[2] ||
        a->addr[3] != words[3])
        return false;
    return !ip6_addr_has_zone(a) || ip6_addr_zone(a) == zone;
}

// Whether lwIP keeps a block in this state on tcp_active_pcbs.
bool on_active_list(const tcp_pcb* pcb) {
    return pcb->state != CLOSED && pcb->state != LISTEN && pcb->state != TIME_WAIT;
}

// The indexed block on the active list for this segment, or nullptr.
tcp_pcb* find(const Tuple& t) {
    if (!g_slots) return nullptr;
    size_t mask = g_capacity - 1;
    for (size_t i = hash(t.remote, t.v6, t.remote_port) & mask; g_slots[i]; i = (i + 1) & mask) {
        tcp_pcb* pcb = g_slots[i];
        if (pcb != kTombstone && pcb->remote_port == t.remote_port &&
            pcb->local_port == t.local_port &&
            same_address(pcb->remote_ip, t.remote, t.v6, t.zone) &&
            same_address(pcb->local_ip, t.local, t.v6, t.zone) && on_active_list(pcb))
            return pcb;
    }
    return nullptr;
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

// lwIP is about to free the block, which it has taken off its list already.
void on_destroy(u8_t, void* data) {
    auto* pcb = static_cast<tcp_pcb*>(data);
    erase(pcb);
    tcp_pcb* prev = prev_of(pcb);
    if (prev == kOffList || g_view == View::Unread) return;  // nothing to mend, or rebuilt later
    if (g_view == View::Front && pcb == g_front) {
        g_front_freed = true;  // after_input mends the real list
        return;
    }
    // lwIP unlinked it from the real list itself: its successor now follows its predecessor.
    tcp_pcb* head = g_view == View::Front ? g_saved_head : tcp_active_pcbs;
    tcp_pcb* next = prev ? prev->next : head;
    if (next) set_prev(next, prev);
}

// Indexes a new block; its predecessor is recorded once it is on the real list.
bool index_block(tcp_pcb* pcb);

err_t on_passive_open(u8_t, tcp_pcb_listen*, tcp_pcb* pcb) {
    return index_block(pcb) ? ERR_OK : ERR_MEM;
}

const tcp_ext_arg_callbacks kConnectionCallbacks = {on_destroy, nullptr};
const tcp_ext_arg_callbacks kListenerCallbacks = {nullptr, on_passive_open};

bool index_block(tcp_pcb* pcb) {
    if (!add(pcb)) return false;
    tcp_ext_arg_set_callbacks(pcb, g_self_id, &kConnectionCallbacks);
    tcp_ext_arg_set(pcb, g_self_id, pcb);
    set_prev(pcb, kOffList);
    return true;
}

// Every block's predecessor from the lists themselves.
void rebuild() {
    tcp_pcb* prev = nullptr;
    for (tcp_pcb* p = tcp_active_pcbs; p; p = p->next) {
        set_prev(p, prev);
        prev = p;
    }
    for (tcp_pcb* p = tcp_tw_pcbs; p; p = p->next) set_prev(p, kOffList);
}

void show(const Tuple& t) {
    after_input();  // a view never undone (no input call came back to us): undo it first
    g_saved_head = tcp_active_pcbs;
    if (tcp_pcb* pcb = find(t)) {
        g_view = View::Front;
        g_front = pcb;
        g_front_prev = prev_of(pcb);
        g_front_next = pcb->next;
        g_front_freed = false;
        tcp_active_pcbs = pcb;
        ++g_stats.hits;
    } else {
        g_view = View::Empty;
        tcp_active_pcbs = nullptr;
        ++g_stats.skipped;
    }
}

// View::Front is over and lwIP took the block off its list (TCP_RMV from the head leaves the
// successor there): unlink it from the real list too.
void unlink_front() {
    CORONET_ASSERT(tcp_active_pcbs == g_front_next && "lwIP changed the list beyond one block");
    ++g_stats.removals;
    if (g_front_prev) {
        g_front_prev->next = g_front_next;
        tcp_active_pcbs = g_saved_head;
    } else {
        tcp_active_pcbs = g_front_next;  // it was the real head
    }
    if (g_front_next) set_prev(g_front_next, g_front_prev);
    if (!g_front_freed) set_prev(g_front, kOffList);  // gone to TIME-WAIT
}

// View::Empty is over: blocks lwIP created meanwhile (a SYN's) go in front of the real list.
void splice_new() {
    tcp_pcb* prev = nullptr;
    tcp_pcb** tail = &tcp_active_pcbs;
    for (; *tail; tail = &(*tail)->next) {
        set_prev(*tail, prev);
        prev = *tail;
    }
    *tail = g_saved_head;
    if (g_saved_head) set_prev(g_saved_head, prev);
}

}  // namespace

void track_listener(tcp_pcb* listening) {
    allocate_ids();
    tcp_ext_arg_set_callbacks(listening, g_self_id, &kListenerCallbacks);
}

Result<void> track(tcp_pcb* pcb) {
    CORONET_ASSERT(g_view == View::None && tcp_active_pcbs == pcb);
    allocate_ids();
    if (!index_block(pcb)) return Error::OutOfMemory;
    set_prev(pcb, nullptr);
    if (pcb->next) set_prev(pcb->next, pcb);
    return {};
}

void to_front(tcp_pcb* pcb) {
    CORONET_ASSERT(g_view == View::None);
    tcp_pcb* prev = prev_of(pcb);
    if (!prev || prev == kOffList) return;  // at the head already, or not on the list
    tcp_pcb* next = pcb->next;
    prev->next = next;
    if (next) set_prev(next, prev);
    pcb->next = tcp_active_pcbs;
    set_prev(tcp_active_pcbs, pcb);
    tcp_active_pcbs = pcb;
    set_prev(pcb, nullptr);
}

void before_input(const ip_hdr* ip, const uint8_t* tcp, size_t length) {
    if (length < TCP_HLEN) return before_unread_input();
    const auto* header = reinterpret_cast<const tcp_hdr*>(tcp);
    Tuple t{};
    t.remote[0] = ip->src.addr;
    t.local[0] = ip->dest.addr;
    t.remote_port = lwip_ntohs(header->src);
    t.local_port = lwip_ntohs(header->dest);
    show(t);
}

void before_input(const ip6_hdr* ip, uint8_t zone, const uint8_t* tcp, size_t length) {
    if (length < TCP_HLEN) return before_unread_input();
    const auto* header = reinterpret_cast<const tcp_hdr*>(tcp);
    Tuple t{};
    t.v6 = true;
    for (int i = 0; i < 4; ++i) {
        t.remote[i] = ip->src.addr[i];
        t.local[i] = ip->dest.addr[i];
    }
    t.remote_port = lwip_ntohs(header->src);
    t.local_port = lwip_ntohs(header->dest);
    t.zone = zone;
    show(t);
}

void before_unread_input() {
    after_input();
    g_view = View::Unread;
    ++g_stats.unread;
}

void after_input() {
    View view = g_view;
    g_view = View::None;
    switch (view) {
    case View::None: return;
    case View::Front:
        if (tcp_active_pcbs == g_front) tcp_active_pcbs = g_saved_head;  // as it always was
        else unlink_front();
        return;
    case View::Empty: splice_new(); return;
    case View::Unread: rebuild(); return;
    }
}

Stats stats() { return g_stats; }

}  // namespace coronet::net::pcb_index
