// Split virtqueue driver side (virtio 1.2, 2.7). Barriers follow 2.7.13: the ring entry before
// the index that publishes it (release), the published index before reading the device's
// notification suppression (full), the used index before the used element (acquire).
// Device-shared fields are read and written with relaxed __atomic accesses so the compiler
// neither tears nor caches them; the fences order them.
#include "drivers/virtio/virtqueue.hpp"

#include <new>

#include "lib/align.hpp"

namespace coronet::virtio {
namespace {

constexpr size_t kUsedAlignment = 64;         // a cache line (the spec asks for 4)
constexpr uint32_t kForceKickAfter = 0x8000;  // a window need_event could no longer tell apart

uint16_t load16(const uint16_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
void store16(uint16_t* p, uint16_t value) { __atomic_store_n(p, value, __ATOMIC_RELAXED); }

}  // namespace

VirtqLayout VirtQueue::layout(uint16_t size) {
    if (size == 0 || size > kMaxSize || (size & (size - 1)) != 0) return {0, 0, 0};
    size_t desc_bytes = sizeof(VirtqDesc) * size;
    size_t avail_bytes = 2 * (3 + size_t{size});               // flags, idx, ring, used_event
    size_t used_bytes = 2 * 3 + sizeof(VirtqUsedElem) * size;  // flags, idx, ring, avail_event
    size_t used_offset = align_up(desc_bytes + avail_bytes, kUsedAlignment);
    return {desc_bytes, used_offset, used_offset + used_bytes};
}

VirtQueue::~VirtQueue() { delete[] m_slots; }

Result<void> VirtQueue::init(uint16_t size, void* ring_memory, bool event_idx) {
    VirtqLayout parts = layout(size);
    if (parts.total_bytes == 0 || !ring_memory ||
        (reinterpret_cast<uintptr_t>(ring_memory) & 15) != 0) {
        return Error::InvalidArgument;
    }
    auto* slots = new (std::nothrow) Slot[size];
    if (!slots) return Error::OutOfMemory;
    delete[] m_slots;
    m_slots = slots;

    auto* base = static_cast<uint8_t*>(ring_memory);
    m_size = size;
    m_mask = static_cast<uint16_t>(size - 1);
    m_event_idx = event_idx;
    m_broken = false;
    m_interrupts_enabled = true;
    m_desc = reinterpret_cast<VirtqDesc*>(base);
    m_avail = reinterpret_cast<uint16_t*>(base + parts.avail_offset);
    m_used = reinterpret_cast<uint16_t*>(base + parts.used_offset);
    for (uint16_t i = 0; i < size; ++i)
        m_slots[i] = {nullptr, static_cast<uint16_t>((i + 1) & m_mask), 0};
    m_free_head = 0;
    m_free_count = size;
    m_in_flight = 0;
    m_avail_idx = 0;
    m_last_used = 0;
    m_added_since_kick = 0;
    // The memory is zeroed: flags 0 (interrupts wanted), used_event 0 (at the first buffer).
    return {};
}

Result<void> VirtQueue::add(const Segment* segments, size_t count, void* token) {
    if (count == 0 || !segments) return Error::InvalidArgument;
    for (size_t i = 1; i < count; ++i) {
        if (segments[i - 1].device_writable && !segments[i].device_writable)
            return Error::InvalidArgument;
    }
    if (count > m_free_count) return Error::Busy;

    uint16_t head = m_free_head;
    uint16_t index = head;
    for (size_t i = 0; i < count; ++i) {
        VirtqDesc& d = m_desc[index];
        d.addr = segments[i].address;
        d.len = segments[i].length;
        d.flags = static_cast<uint16_t>((segments[i].device_writable ? kDescFlagWrite : 0) |
                                        (i + 1 < count ? kDescFlagNext : 0));
        d.next = i + 1 < count ? m_slots[index].next : 0;
        if (i + 1 < count) index = m_slots[index].next;
    }
    m_free_head = m_slots[index].next;
    m_free_count = static_cast<uint16_t>(m_free_count - count);
    m_slots[head].token = token;
    m_slots[head].chain = static_cast<uint16_t>(count);
    ++m_in_flight;

    store16(&avail_ring()[m_avail_idx & m_mask], head);
    // The descriptors and the ring entry before the index that hands them over (2.7.13.3.1).
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ++m_avail_idx;
    store16(&m_avail[1], m_avail_idx);
    ++m_added_since_kick;
    return {};
}

bool VirtQueue::kick_needed() {
    if (m_added_since_kick == 0) return false;
    // The published index before the device's suppression state (2.7.13.4.1): a store-load
    // ordering, so a full fence.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t new_idx = m_avail_idx;
    uint16_t old_idx = static_cast<uint16_t>(new_idx - m_added_since_kick);
    bool force = m_added_since_kick >= kForceKickAfter;
    m_added_since_kick = 0;
    if (force) return true;
    if (m_event_idx) return need_event(load16(avail_event()), new_idx, old_idx);
    return (load16(&m_used[0]) & kUsedFlagNoNotify) == 0;
}

uint16_t VirtQueue::device_used_idx() const { return load16(&m_used[1]); }

bool VirtQueue::has_used() const { return m_size != 0 && device_used_idx() != m_last_used; }

bool VirtQueue::take_used(Completion& out) {
    if (m_broken || !has_used()) return false;
    // The used index before the element it covers (2.7.13.5 / 2.7.14).
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const VirtqUsedElem& elem = used_ring()[m_last_used & m_mask];
    uint32_t id = __atomic_load_n(&elem.id, __ATOMIC_RELAXED);
    uint32_t length = __atomic_load_n(&elem.len, __ATOMIC_RELAXED);
    if (id >= m_size || m_slots[id].chain == 0) {
        m_broken = true;
        return false;
    }
    Slot& head = m_slots[id];
    uint16_t last = static_cast<uint16_t>(id);
    for (uint16_t i = 1; i < head.chain; ++i) last = m_slots[last].next;
    m_slots[last].next = m_free_head;
    m_free_head = static_cast<uint16_t>(id);
    m_free_count = static_cast<uint16_t>(m_free_count + head.chain);
    --m_in_flight;
    out = {head.token, length};
    head.token = nullptr;
    head.chain = 0;
    ++m_last_used;
    // Keep asking for the next one while interrupts are on (the device compares against it).
    if (m_event_idx && interrupts_enabled()) set_used_event(m_last_used);
    return true;
}

void VirtQueue::set_used_event(uint16_t value) { store16(used_event(), value); }
void VirtQueue::set_avail_flags(uint16_t value) { store16(&m_avail[0], value); }

void VirtQueue::disable_interrupts() {
    if (m_size == 0) return;
    __atomic_store_n(&m_interrupts_enabled, false, __ATOMIC_RELAXED);
    // With EVENT_IDX the flag is ignored (2.7.10): park used_event just behind the index we have
    // taken, which the device only crosses again after a full wrap of 65536 entries.
    if (m_event_idx) set_used_event(static_cast<uint16_t>(m_last_used - 1));
    else set_avail_flags(kAvailFlagNoInterrupt);
}

bool VirtQueue::enable_interrupts() { return enable_interrupts_after(1); }

bool VirtQueue::enable_interrupts_after(uint16_t count) {
    if (m_size == 0) return false;
    __atomic_store_n(&m_interrupts_enabled, true, __ATOMIC_RELAXED);
    if (m_event_idx) set_used_event(static_cast<uint16_t>(m_last_used + (count ? count - 1 : 0)));
    else set_avail_flags(0);
    // Our request before the re-check of the used index: a used buffer the device published
    // before reading our request is seen here, one published after it raises an interrupt.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return has_used();
}

}  // namespace coronet::virtio
