// The lent-buffer descriptors: a fixed array threaded into a free list.
#include "net/lwip/rx_lending.hpp"

namespace coronet::net {
namespace {

struct LentBuffer {
    pbuf_custom custom;  // first: lwIP hands back a pbuf* that is this object
    drivers::NetDevice* owner;
    void* cookie;
    LentBuffer* next_free;
};

LentBuffer g_lent[kLentBuffers];
LentBuffer* g_free = nullptr;
size_t g_free_count = 0;
bool g_initialised = false;
RxLendingStats g_stats;

void give_back(pbuf* p) {
    auto* lent = reinterpret_cast<LentBuffer*>(p);
    lent->owner->recycle(lent->cookie);
    lent->next_free = g_free;
    g_free = lent;
    ++g_free_count;
}

void initialise() {
    for (auto& lent : g_lent) {
        lent.next_free = g_free;
        g_free = &lent;
        ++g_free_count;
    }
    g_initialised = true;
}

}  // namespace

pbuf* receive_pbuf(drivers::NetDevice& device, const drivers::ReceivedFrame& frame) {
    if (!g_initialised) initialise();
    if (g_free_count > kCopyBelowFree + frame.count) {
        pbuf* chain = nullptr;
        for (size_t i = 0; i < frame.count; ++i) {
            const drivers::ReceivedPiece& piece = frame.pieces[i];
            LentBuffer* lent = g_free;
            g_free = lent->next_free;
            --g_free_count;
            lent->owner = &device;
            lent->cookie = piece.cookie;
            lent->custom.custom_free_function = give_back;
            auto length = static_cast<u16_t>(piece.length);
            pbuf* p =
                pbuf_alloced_custom(PBUF_RAW, length, PBUF_REF, &lent->custom, piece.data, length);
            if (chain) pbuf_cat(chain, p);
            else chain = p;
        }
        return chain;
    }
    pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame.length), PBUF_POOL);
    u16_t offset = 0;
    for (size_t i = 0; i < frame.count; ++i) {
        const drivers::ReceivedPiece& piece = frame.pieces[i];
        if (p) pbuf_take_at(p, piece.data, static_cast<u16_t>(piece.length), offset);
        offset = static_cast<u16_t>(offset + piece.length);
        device.recycle(piece.cookie);
    }
    if (p) ++g_stats.copied;
    else ++g_stats.no_pbuf;
    return p;
}

RxLendingStats rx_lending_stats() {
    RxLendingStats stats = g_stats;
    stats.lent = g_initialised ? kLentBuffers - g_free_count : 0;
    return stats;
}

}  // namespace coronet::net
