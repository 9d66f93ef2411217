// Random picks from a HashIndex for HRANDFIELD, SRANDMEMBER and SPOP: one node, or several
// distinct ones without walking a big collection when only a few are wanted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "apps/redis/clock.hpp"
#include "lib/hash_index.hpp"

namespace coronet::redis {

namespace sampling_detail {

// Every node into a fresh array, then a partial Fisher-Yates shuffle: uniform, but costs the
// whole collection, so only for picks of a good part of it.
template <typename Node>
bool pick_by_shuffle(HashIndex& index, Node** out, size_t count) {
    size_t size = index.size();
    auto** all = static_cast<HashIndex::Link**>(malloc(size * sizeof(HashIndex::Link*)));
    if (!all) return false;
    struct Fill {
        HashIndex::Link** all;
        size_t used, size;
    } fill{all, 0, size};
    uint64_t cursor = 0;
    do {
        cursor = index.scan(
            cursor,
            [](HashIndex::Link* link, void* context) {
                auto* f = static_cast<Fill*>(context);
                if (f->used < f->size) f->all[f->used++] = link;
            },
            &fill);
    } while (cursor != 0);
    for (size_t i = 0; i < count && i < fill.used; ++i) {
        size_t j = i + random_u64() % (fill.used - i);
        HashIndex::Link* chosen = all[j];
        all[j] = all[i];
        out[i] = reinterpret_cast<Node*>(chosen);
    }
    free(all);
    return true;
}

}  // namespace sampling_detail

// `count` distinct nodes of `index` (count < index.size()) at random into `out`, as the
// type embedding the link at offset 0; false when memory runs out. Small picks sample the index
// and drop repeats with a table of pointers.
template <typename Node>
bool pick_distinct(HashIndex& index, Node** out, size_t count) {
    size_t size = index.size();
    if (count > size / 3) return sampling_detail::pick_by_shuffle(index, out, count);
    size_t slots = 16;
    while (slots < count * 2) slots *= 2;
    auto** seen = static_cast<HashIndex::Link**>(calloc(slots, sizeof(HashIndex::Link*)));
    if (!seen) return false;
    // sample() favours some nodes over others; past this many tries fall back to a shuffle.
    size_t attempts = count * 64 + 1024, picked = 0;
    while (picked < count && attempts-- > 0) {
        HashIndex::Link* link = index.sample(random_u64());
        uint64_t slot = (reinterpret_cast<uintptr_t>(link) >> 4) * 0x9e3779b97f4a7c15ULL;
        for (slot >>= 32;; ++slot) {
            HashIndex::Link*& at = seen[slot & (slots - 1)];
            if (at == link) break;
            if (!at) {
                at = link;
                out[picked++] = reinterpret_cast<Node*>(link);
                break;
            }
        }
    }
    free(seen);
    if (picked < count) return sampling_detail::pick_by_shuffle(index, out, count);
    return true;
}

}  // namespace coronet::redis
