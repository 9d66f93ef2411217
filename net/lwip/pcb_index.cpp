// Open addressing with linear probing over control-block pointers; the key is read from the
// block itself (remote address and port, local port), so the table stores nothing else.
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

// The swap in progress: the list's real head, and the block put in front of it.
tcp_pcb* g_saved_head = nullptr;
tcp_pcb* g_front = nullptr;
tcp_pcb* g_front_next = nullptr;
Key g_front_key{};

size_t hash(uint32_t remote, uint16_t remote_port, uint16_t local_port) {
    uint64_t x = (uint64_t{remote} << 32) ^ (uint64_t{remote_port} << 16) ^ local_port;
    x *= 0x9E3779B97F4A7C15ULL;
    return static_cast<size_t>(x >> 32);
}

bool indexable(const tcp_pcb* pcb) { return IP_IS_V4_VAL(pcb->remote_ip); }

Key key_of(const tcp_pcb* pcb) {
    return {ip_2_ip4(&pcb->remote_ip)->addr, pcb->remote_port, pcb->local_port, true};
}

size_t hash_of(const Key& key) { return hash(key.remote, key.remote_port, key.local_port); }

void insert(tcp_pcb* pcb) {
    size_t mask = g_capacity - 1;
    for (size_t i = hash_of(key_of(pcb)) & mask;; i = (i + 1) & mask) {
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

// Tombstones the slot holding `pcb`, probing from `key`'s place; nothing if it is not there.
void erase(tcp_pcb* pcb, const Key& key) {
    size_t mask = g_capacity - 1;
    for (size_t i = hash_of(key) & mask; g_slots[i]; i = (i + 1) & mask) {
        if (g_slots[i] == pcb) {
            g_slots[i] = kTombstone;
            --g_stats.indexed;
            return;
        }
    }
}

}  // namespace

Key add(tcp_pcb* pcb) {
    if (!indexable(pcb)) return {};
    if (!g_slots && !resize(kInitialSlots)) return {};
    // At most half full, tombstones included: probes stay short.
    if ((g_used + 1) * 2 > g_capacity) {
        size_t live = g_stats.indexed + 1;
        size_t capacity = g_capacity;
        while (live * 4 > capacity) capacity *= 2;
        if (!resize(capacity)) return {};  // not indexed: lwIP's own walk still finds it
    }
    insert(pcb);
    ++g_stats.indexed;
    return key_of(pcb);
}

// Only compares the pointer: the block may be gone already.
void remove(tcp_pcb* pcb, Key& key) {
    if (!key.indexed) return;
    key.indexed = false;
    erase(pcb, key);
}

void before_input(const ip_hdr* ip, const uint8_t* tcp, size_t length) {
    after_input();  // a swap never undone (no input call came back to us): undo it first
    if (!g_slots || g_stats.indexed == 0 || length < TCP_HLEN || !tcp_active_pcbs) return;
    const auto* header = reinterpret_cast<const tcp_hdr*>(tcp);
    uint32_t remote = ip->src.addr;
    uint16_t remote_port = lwip_ntohs(header->src);
    uint16_t local_port = lwip_ntohs(header->dest);
    size_t mask = g_capacity - 1;
    for (size_t i = hash(remote, remote_port, local_port) & mask; g_slots[i]; i = (i + 1) & mask) {
        tcp_pcb* pcb = g_slots[i];
        if (pcb == kTombstone || pcb->remote_port != remote_port || pcb->local_port != local_port ||
            ip_2_ip4(&pcb->remote_ip)->addr != remote ||
            ip_2_ip4(&pcb->local_ip)->addr != ip->dest.addr)
            continue;
        g_saved_head = tcp_active_pcbs;
        g_front_key = {remote, remote_port, local_port, true};
        g_front = pcb;
        g_front_next = pcb->next;
        tcp_active_pcbs = pcb;
        ++g_stats.hits;
        return;
    }
}

void after_input() {
    if (!g_front) return;
    tcp_pcb* front = g_front;
    g_front = nullptr;
    if (tcp_active_pcbs == front) {  // still there, where it always was in the real list
        tcp_active_pcbs = g_saved_head;
        return;
    }
    // lwIP took it off (TCP_RMV from the head leaves its successor there): unlink it from the
    // real list too. A walk, once per connection's end.
    CORONET_ASSERT(tcp_active_pcbs == g_front_next && "lwIP changed the list beyond one block");
    ++g_stats.removals;
    // Gone to TIME-WAIT (its connection still holds it), or freed after a reset (its error
    // callback removed it already, and nothing is found).
    erase(front, g_front_key);
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

Stats stats() { return g_stats; }

}  // namespace coronet::net::pcb_index
