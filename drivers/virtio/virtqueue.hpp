// Split virtqueue (virtio 1.2, 2.7): the driver's side of the descriptor table, available ring
// and used ring, with notification suppression (flags or VIRTIO_F_EVENT_IDX). Pure ring logic
// over memory the caller provides, so the host unit tests drive it against a simulated device.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/result.hpp"

namespace coronet::virtio {

// 2.7.5 The Virtqueue Descriptor Table.
struct VirtqDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16);

// 2.7.8 The Virtqueue Used Ring: one element.
struct VirtqUsedElem {
    uint32_t id;   // head of the used descriptor chain
    uint32_t len;  // bytes the device wrote into the chain's writable buffers
};
static_assert(sizeof(VirtqUsedElem) == 8);

inline constexpr uint16_t kDescFlagNext = 1;          // VIRTQ_DESC_F_NEXT
inline constexpr uint16_t kDescFlagWrite = 2;         // VIRTQ_DESC_F_WRITE: device-writable
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;  // VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7)
inline constexpr uint16_t kUsedFlagNoNotify = 1;      // VIRTQ_USED_F_NO_NOTIFY (2.7.10)

// Where the three parts sit in one block of ring memory (alignments from 2.7, table "Virtqueue
// Part Alignment": descriptors 16, available ring 2, used ring 4). The used ring starts on its own
// cache line so device writes never share a line with driver writes.
struct VirtqLayout {
    size_t avail_offset;
    size_t used_offset;
    size_t total_bytes;
};

class VirtQueue {
public:
    static constexpr uint16_t kMaxSize = 32768;  // 2.7: Queue Size at most 32768

    struct Segment {
        uint64_t address;  // device (physical) address
        uint32_t length;
        bool device_writable;
    };
    struct Completion {
        void* token;      // what add() was given for the chain
        uint32_t length;  // bytes the device wrote
    };

    // Bytes of ring memory a queue of `size` entries needs (0 if `size` is not a power of two
    // between 1 and kMaxSize).
    static VirtqLayout layout(uint16_t size);

    // vring_need_event (2.7.10): whether moving an index from `old_idx` to `new_idx` crosses
    // `event`, i.e. whether the other side asked to hear about this step.
    static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
        return static_cast<uint16_t>(new_idx - event - 1) <
               static_cast<uint16_t>(new_idx - old_idx);
    }

    VirtQueue() = default;
    ~VirtQueue();
    VirtQueue(const VirtQueue&) = delete;
    VirtQueue& operator=(const VirtQueue&) = delete;

    // `ring_memory`: layout(size).total_bytes, zeroed, 16-byte aligned, and reachable by the
    // device at the same address (identity-mapped RAM). `event_idx`: VIRTIO_F_EVENT_IDX was
    // negotiated. Used-buffer interrupts start enabled.
    Result<void> init(uint16_t size, void* ring_memory, bool event_idx);

    uint16_t size() const { return m_size; }
    bool event_idx() const { return m_event_idx; }
    uint16_t free_descriptors() const { return m_free_count; }
    uint16_t chains_in_flight() const { return m_in_flight; }
    // The device broke the protocol (a used element naming a chain it was not given).
    bool broken() const { return m_broken; }

    // Addresses for the transport's queue registers (4.1.4.3 queue_desc/driver/device).
    uint64_t descriptor_area() const { return reinterpret_cast<uintptr_t>(m_desc); }
    uint64_t driver_area() const { return reinterpret_cast<uintptr_t>(m_avail); }
    uint64_t device_area() const { return reinterpret_cast<uintptr_t>(m_used); }

    // Makes one buffer chain available to the device: device-readable segments first, then
    // device-writable ones (2.7.4.2). Error::Busy when too few descriptors are free.
    Result<void> add(const Segment* segments, size_t count, void* token);

    // After a batch of add() calls: whether the device asked to be notified about the chains
    // added since the previous call (2.7.10 / 2.7.13.4). Orders the published index before
    // reading the device's suppression state.
    bool kick_needed();

    bool has_used() const;
    // How many used chains have been taken so far (wraps at 65536): progress, for watchdogs.
    uint16_t taken() const { return m_last_used; }
    // Takes the next used chain and frees its descriptors; false when none is waiting.
    bool take_used(Completion& out);

    // Used-buffer notification suppression (2.7.7 / 2.7.10). Safe to call from the interrupt
    // handler while the owner is between other calls: only the suppression fields are touched.
    void disable_interrupts();
    // Asks for an interrupt at the next used buffer. Returns true when used buffers are already
    // waiting: no interrupt is promised for those, so the caller must take them itself.
    [[nodiscard]] bool enable_interrupts();
    // Like enable_interrupts(), but with EVENT_IDX the interrupt comes only once `count` more
    // chains are used (without it, at the next one). Returns true when any used buffer waits.
    [[nodiscard]] bool enable_interrupts_after(uint16_t count);
    bool interrupts_enabled() const {
        return __atomic_load_n(&m_interrupts_enabled, __ATOMIC_RELAXED);
    }

private:
    struct Slot {
        void* token;
        uint16_t next;   // free-list / chain link (driver-private copy of desc.next)
        uint16_t chain;  // descriptors in the chain headed here; 0: not a head in flight
    };

    uint16_t* avail_ring() const { return m_avail + 2; }
    uint16_t* used_event() const { return m_avail + 2 + m_size; }
    VirtqUsedElem* used_ring() const { return reinterpret_cast<VirtqUsedElem*>(m_used + 2); }
    uint16_t* avail_event() const { return reinterpret_cast<uint16_t*>(used_ring() + m_size); }
    uint16_t device_used_idx() const;
    void set_used_event(uint16_t value);
    void set_avail_flags(uint16_t value);

    uint16_t m_size = 0;
    uint16_t m_mask = 0;
    bool m_event_idx = false;
    bool m_broken = false;
    bool m_interrupts_enabled = true;
    VirtqDesc* m_desc = nullptr;
    uint16_t* m_avail = nullptr;  // flags, idx, ring[size], used_event
    uint16_t* m_used = nullptr;   // flags, idx, then ring[size] of VirtqUsedElem, avail_event
    Slot* m_slots = nullptr;
    uint16_t m_free_head = 0;
    uint16_t m_free_count = 0;
    uint16_t m_in_flight = 0;
    uint16_t m_avail_idx = 0;  // next available index to publish (our shadow of avail->idx)
    uint16_t m_last_used = 0;  // next used index to take
    uint32_t m_added_since_kick = 0;
};

}  // namespace coronet::virtio
