// VirtQueue against a simulated device that reads and writes the rings at the offsets the virtio
// spec gives (2.7), independently of the driver's own accessors.
#include "drivers/virtio/virtqueue.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "lib/align.hpp"

using coronet::align_up;
using coronet::Error;
using coronet::kPageSize;
using coronet::virtio::VirtqDesc;
using coronet::virtio::VirtQueue;
using coronet::virtio::VirtqUsedElem;

namespace {

constexpr uint16_t kNext = 1, kWrite = 2;

// Zeroed, page-aligned ring memory.
struct RingMemory {
    explicit RingMemory(size_t bytes) : size(bytes) {
        data = static_cast<uint8_t*>(std::aligned_alloc(kPageSize, align_up(bytes, kPageSize)));
        std::memset(data, 0, bytes);
    }
    ~RingMemory() { std::free(data); }
    uint8_t* data;
    size_t size;
};

// The device side, written from the spec's layout: avail {flags, idx, ring[n], used_event},
// used {flags, idx, ring[n] of {id, len}, avail_event}.
class FakeDevice {
public:
    FakeDevice(const VirtQueue& queue, uint16_t size, bool event_idx)
        : m_size(size),
          m_event_idx(event_idx),
          m_desc(reinterpret_cast<VirtqDesc*>(queue.descriptor_area())),
          m_avail(reinterpret_cast<uint16_t*>(queue.driver_area())),
          m_used(reinterpret_cast<uint16_t*>(queue.device_area())) {}

    struct Chain {
        uint16_t head;
        std::vector<VirtqDesc> descriptors;
    };

    uint16_t avail_idx() const { return m_avail[1]; }
    uint16_t pending() const { return static_cast<uint16_t>(avail_idx() - m_last_avail); }

    bool pop(Chain& chain) {
        if (pending() == 0) return false;
        chain.head = m_avail[2 + (m_last_avail % m_size)];
        chain.descriptors.clear();
        uint16_t index = chain.head;
        for (unsigned guard = 0; guard <= m_size; ++guard) {
            EXPECT_LT(index, m_size);
            const VirtqDesc& d = m_desc[index];
            chain.descriptors.push_back(d);
            if (!(d.flags & kNext)) break;
            index = d.next;
        }
        ++m_last_avail;
        return true;
    }

    // Writes one used element; interrupt_needed() reports for everything since the last call.
    void push_used(uint32_t id, uint32_t length) {
        auto* ring = reinterpret_cast<VirtqUsedElem*>(m_used + 2);
        ring[m_used_idx % m_size] = {id, length};
        ++m_used_idx;
        m_used[1] = m_used_idx;
    }

    bool interrupt_needed() {
        uint16_t old_idx = m_signalled_idx;
        m_signalled_idx = m_used_idx;
        if (old_idx == m_used_idx) return false;
        if (m_event_idx) return VirtQueue::need_event(used_event(), m_used_idx, old_idx);
        return (m_avail[0] & 1) == 0;
    }

    // Device-side notification suppression: off while it is busy, on when it waits.
    void set_notifications(bool wanted) {
        if (m_event_idx) {
            if (wanted) avail_event() = m_last_avail;
        } else {
            m_used[0] = wanted ? 0 : 1;
        }
    }

    uint16_t used_event() const { return m_avail[2 + m_size]; }
    uint16_t& avail_event() {
        return *reinterpret_cast<uint16_t*>(reinterpret_cast<uint8_t*>(m_used + 2) + 8 * m_size);
    }
    uint16_t used_flags() const { return m_used[0]; }
    uint16_t avail_flags() const { return m_avail[0]; }

private:
    uint16_t m_size;
    bool m_event_idx;
    VirtqDesc* m_desc;
    uint16_t* m_avail;
    uint16_t* m_used;
    uint16_t m_last_avail = 0;
    uint16_t m_used_idx = 0;
    uint16_t m_signalled_idx = 0;
};

struct Fixture {
    Fixture(uint16_t size, bool event_idx) : memory(VirtQueue::layout(size).total_bytes) {
        EXPECT_TRUE(queue.init(size, memory.data, event_idx).ok());
        device = new FakeDevice(queue, size, event_idx);
    }
    ~Fixture() { delete device; }
    RingMemory memory;
    VirtQueue queue;
    FakeDevice* device;
};

void* token(uintptr_t n) { return reinterpret_cast<void*>(n); }

VirtQueue::Segment readable(uint64_t address, uint32_t length) { return {address, length, false}; }
VirtQueue::Segment writable(uint64_t address, uint32_t length) { return {address, length, true}; }

}  // namespace

TEST(VirtQueue, LayoutFollowsTheSpecAlignments) {
    auto l = VirtQueue::layout(256);
    EXPECT_EQ(l.avail_offset, 256u * 16);
    EXPECT_EQ(l.used_offset % 4, 0u);
    EXPECT_GE(l.used_offset, l.avail_offset + 2 * (3 + 256));
    EXPECT_EQ(l.total_bytes, l.used_offset + 6 + 8 * 256);
    EXPECT_EQ(VirtQueue::layout(1).avail_offset, 16u);
    EXPECT_EQ(VirtQueue::layout(0).total_bytes, 0u);
    EXPECT_EQ(VirtQueue::layout(100).total_bytes, 0u);  // not a power of two
    EXPECT_NE(VirtQueue::layout(32768).total_bytes, 0u);

    VirtQueue q;
    alignas(16) static uint8_t memory[8192];
    EXPECT_EQ(q.init(100, memory, false).error(), Error::InvalidArgument);
    EXPECT_EQ(q.init(8, memory + 8, false).error(), Error::InvalidArgument);  // misaligned
    EXPECT_TRUE(q.init(8, memory, false).ok());
}

TEST(VirtQueue, SingleBufferRoundTrip) {
    Fixture f(8, false);
    auto seg = writable(0x1000, 2048);
    ASSERT_TRUE(f.queue.add(&seg, 1, token(42)).ok());
    EXPECT_EQ(f.queue.free_descriptors(), 7);
    EXPECT_FALSE(f.queue.has_used());

    FakeDevice::Chain chain;
    ASSERT_TRUE(f.device->pop(chain));
    ASSERT_EQ(chain.descriptors.size(), 1u);
    EXPECT_EQ(chain.descriptors[0].addr, 0x1000u);
    EXPECT_EQ(chain.descriptors[0].len, 2048u);
    EXPECT_EQ(chain.descriptors[0].flags, kWrite);
    f.device->push_used(chain.head, 60);

    VirtQueue::Completion done;
    ASSERT_TRUE(f.queue.take_used(done));
    EXPECT_EQ(done.token, token(42));
    EXPECT_EQ(done.length, 60u);
    EXPECT_EQ(f.queue.free_descriptors(), 8);
    EXPECT_FALSE(f.queue.take_used(done));
}

TEST(VirtQueue, ChainsAreLinkedReadableFirst) {
    Fixture f(8, false);
    VirtQueue::Segment segs[] = {readable(0x100, 12), readable(0x200, 100), writable(0x300, 1),
                                 writable(0x400, 2)};
    ASSERT_TRUE(f.queue.add(segs, 4, token(1)).ok());
    ASSERT_TRUE(f.queue.add(segs, 2, token(2)).ok());
    EXPECT_EQ(f.queue.free_descriptors(), 2);
    EXPECT_EQ(f.queue.chains_in_flight(), 2);

    FakeDevice::Chain chain;
    ASSERT_TRUE(f.device->pop(chain));
    ASSERT_EQ(chain.descriptors.size(), 4u);
    EXPECT_EQ(chain.descriptors[0].flags, kNext);
    EXPECT_EQ(chain.descriptors[1].flags, kNext);
    EXPECT_EQ(chain.descriptors[2].flags, kNext | kWrite);
    EXPECT_EQ(chain.descriptors[3].flags, kWrite);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(chain.descriptors[i].addr, segs[i].address);
    uint16_t first = chain.head;

    ASSERT_TRUE(f.device->pop(chain));
    ASSERT_EQ(chain.descriptors.size(), 2u);
    // Complete out of order: the second chain first.
    f.device->push_used(chain.head, 0);
    f.device->push_used(first, 3);
    VirtQueue::Completion done;
    ASSERT_TRUE(f.queue.take_used(done));
    EXPECT_EQ(done.token, token(2));
    EXPECT_EQ(f.queue.free_descriptors(), 4);
    ASSERT_TRUE(f.queue.take_used(done));
    EXPECT_EQ(done.token, token(1));
    EXPECT_EQ(done.length, 3u);
    EXPECT_EQ(f.queue.free_descriptors(), 8);

    // The freed descriptors come back as a working chain of all eight.
    VirtQueue::Segment eight[8];
    for (int i = 0; i < 8; ++i) eight[i] = readable(0x1000u * (i + 1), 10);
    ASSERT_TRUE(f.queue.add(eight, 8, token(3)).ok());
    ASSERT_TRUE(f.device->pop(chain));
    ASSERT_EQ(chain.descriptors.size(), 8u);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(chain.descriptors[i].addr, 0x1000u * (i + 1));
}

TEST(VirtQueue, RejectsReadableAfterWritable) {
    Fixture f(8, false);
    VirtQueue::Segment segs[] = {writable(0x100, 12), readable(0x200, 100)};
    EXPECT_EQ(f.queue.add(segs, 2, token(1)).error(), Error::InvalidArgument);
    EXPECT_EQ(f.queue.add(segs, 0, token(1)).error(), Error::InvalidArgument);
    EXPECT_EQ(f.queue.free_descriptors(), 8);
}

TEST(VirtQueue, FullRingIsBusyUntilTheDeviceReturnsBuffers) {
    Fixture f(4, false);
    auto seg = readable(0x100, 64);
    for (uintptr_t i = 0; i < 4; ++i) ASSERT_TRUE(f.queue.add(&seg, 1, token(i + 1)).ok());
    EXPECT_EQ(f.queue.add(&seg, 1, token(9)).error(), Error::Busy);
    EXPECT_EQ(f.queue.free_descriptors(), 0);

    FakeDevice::Chain chain;
    ASSERT_TRUE(f.device->pop(chain));
    f.device->push_used(chain.head, 0);
    EXPECT_EQ(f.queue.add(&seg, 1, token(9)).error(), Error::Busy);  // not reclaimed yet
    VirtQueue::Completion done;
    ASSERT_TRUE(f.queue.take_used(done));
    EXPECT_EQ(done.token, token(1));
    ASSERT_TRUE(f.queue.add(&seg, 1, token(5)).ok());
    // A chain longer than what is free is refused whole.
    ASSERT_TRUE(f.device->pop(chain));
    f.device->push_used(chain.head, 0);
    ASSERT_TRUE(f.queue.take_used(done));
    VirtQueue::Segment two[] = {seg, seg};
    ASSERT_TRUE(f.queue.add(&seg, 1, token(6)).ok());
    EXPECT_EQ(f.queue.add(two, 2, token(7)).error(), Error::Busy);
    EXPECT_EQ(f.queue.free_descriptors(), 0);
}

TEST(VirtQueue, IndicesWrapPast65535) {
    Fixture f(16, true);
    std::mt19937 rng(7);
    std::deque<uintptr_t> expected;
    uintptr_t next_token = 1;
    uint64_t added = 0, taken = 0, popped = 0;
    while (taken < 200000) {
        // Add a few chains of 1-3 descriptors while they fit.
        unsigned batch = rng() % 6;
        for (unsigned b = 0; b < batch; ++b) {
            size_t length = 1 + rng() % 3;
            VirtQueue::Segment segs[3] = {readable(next_token, 1), writable(2, 2), writable(3, 3)};
            if (length > f.queue.free_descriptors()) break;
            ASSERT_TRUE(f.queue.add(segs, length, token(next_token)).ok());
            expected.push_back(next_token++);
            ++added;
        }
        // The device completes some in order.
        unsigned work = rng() % 6;
        FakeDevice::Chain chain;
        for (unsigned w = 0; w < work && f.device->pop(chain); ++w) {
            EXPECT_EQ(chain.descriptors[0].addr, ++popped);  // in order, one token per chain
            f.device->push_used(chain.head, static_cast<uint32_t>(chain.descriptors.size()));
        }
        VirtQueue::Completion done;
        while (f.queue.take_used(done)) {
            ASSERT_FALSE(expected.empty());
            EXPECT_EQ(done.token, token(expected.front()));
            expected.pop_front();
            ++taken;
        }
        EXPECT_EQ(f.device->avail_idx(), static_cast<uint16_t>(added));
    }
    EXPECT_GT(added, 3u * 65536);
    EXPECT_FALSE(f.queue.broken());
}

TEST(VirtQueue, EventIdxKickFollowsAvailEvent) {
    Fixture f(8, true);
    auto seg = readable(0x100, 64);
    EXPECT_FALSE(f.queue.kick_needed());  // nothing added
    // avail_event starts at 0: the device wants to hear about entry 0.
    ASSERT_TRUE(f.queue.add(&seg, 1, token(1)).ok());
    EXPECT_TRUE(f.queue.kick_needed());
    // It has not re-armed: entry 1 needs no kick.
    ASSERT_TRUE(f.queue.add(&seg, 1, token(2)).ok());
    EXPECT_FALSE(f.queue.kick_needed());
    // It drains the ring and waits for entry 2: a batch of three crossing it kicks once.
    FakeDevice::Chain chain;
    while (f.device->pop(chain)) f.device->push_used(chain.head, 0);
    f.device->set_notifications(true);
    EXPECT_EQ(f.device->avail_event(), 2);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.queue.add(&seg, 1, token(3)).ok());
    EXPECT_TRUE(f.queue.kick_needed());
    EXPECT_FALSE(f.queue.kick_needed());
    // A batch that starts past the event does not kick.
    ASSERT_TRUE(f.queue.add(&seg, 1, token(4)).ok());
    EXPECT_FALSE(f.queue.kick_needed());
}

TEST(VirtQueue, NoEventIdxKickFollowsUsedFlags) {
    Fixture f(8, false);
    auto seg = readable(0x100, 64);
    ASSERT_TRUE(f.queue.add(&seg, 1, token(1)).ok());
    EXPECT_TRUE(f.queue.kick_needed());
    f.device->set_notifications(false);
    ASSERT_TRUE(f.queue.add(&seg, 1, token(2)).ok());
    EXPECT_FALSE(f.queue.kick_needed());
    f.device->set_notifications(true);
    ASSERT_TRUE(f.queue.add(&seg, 1, token(3)).ok());
    EXPECT_TRUE(f.queue.kick_needed());
}

TEST(VirtQueue, NeedEventMatchesTheSpecDefinition) {
    // Kick iff event is in [old, new), modulo 2^16.
    EXPECT_TRUE(VirtQueue::need_event(5, 6, 5));
    EXPECT_FALSE(VirtQueue::need_event(6, 6, 5));
    EXPECT_FALSE(VirtQueue::need_event(4, 6, 5));
    EXPECT_TRUE(VirtQueue::need_event(65535, 2, 65534));  // across the wrap
    EXPECT_TRUE(VirtQueue::need_event(0, 2, 65534));
    EXPECT_FALSE(VirtQueue::need_event(2, 2, 65534));
}

TEST(VirtQueue, EventIdxInterruptSuppression) {
    Fixture f(16, true);
    auto seg = writable(0x100, 64);
    for (int i = 0; i < 16; ++i) ASSERT_TRUE(f.queue.add(&seg, 1, token(i + 1)).ok());
    FakeDevice::Chain chain;
    auto use = [&](int n) {
        for (int i = 0; i < n; ++i) {
            ASSERT_TRUE(f.device->pop(chain));
            f.device->push_used(chain.head, 1);
        }
    };
    VirtQueue::Completion done;

    use(1);
    EXPECT_TRUE(f.device->interrupt_needed());  // enabled from the start, used_event 0
    use(1);
    EXPECT_FALSE(f.device->interrupt_needed());  // the driver has not caught up yet
    while (f.queue.take_used(done)) {}
    use(1);
    EXPECT_TRUE(f.device->interrupt_needed());  // taking moved used_event along

    f.queue.disable_interrupts();
    EXPECT_FALSE(f.queue.interrupts_enabled());
    use(3);
    EXPECT_FALSE(f.device->interrupt_needed());
    // Re-enabling with buffers waiting says so: no interrupt will come for them.
    EXPECT_TRUE(f.queue.enable_interrupts());
    while (f.queue.take_used(done)) {}
    EXPECT_FALSE(f.queue.enable_interrupts());
    use(1);
    EXPECT_TRUE(f.device->interrupt_needed());
    while (f.queue.take_used(done)) {}

    // Delayed: only the fourth completion interrupts.
    f.queue.disable_interrupts();
    EXPECT_FALSE(f.queue.enable_interrupts_after(4));
    use(3);
    EXPECT_FALSE(f.device->interrupt_needed());
    use(1);
    EXPECT_TRUE(f.device->interrupt_needed());
    EXPECT_EQ(f.device->avail_flags(), 0);  // with EVENT_IDX the flag stays 0 (2.7.10)
}

TEST(VirtQueue, FlagInterruptSuppression) {
    Fixture f(8, false);
    auto seg = writable(0x100, 64);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(f.queue.add(&seg, 1, token(i + 1)).ok());
    FakeDevice::Chain chain;
    ASSERT_TRUE(f.device->pop(chain));
    f.device->push_used(chain.head, 1);
    EXPECT_TRUE(f.device->interrupt_needed());
    f.queue.disable_interrupts();
    EXPECT_EQ(f.device->avail_flags(), 1);
    ASSERT_TRUE(f.device->pop(chain));
    f.device->push_used(chain.head, 1);
    EXPECT_FALSE(f.device->interrupt_needed());
    EXPECT_TRUE(f.queue.enable_interrupts());
    EXPECT_EQ(f.device->avail_flags(), 0);
}

TEST(VirtQueue, BrokenDeviceIsDetectedNotFollowed) {
    Fixture f(8, false);
    auto seg = readable(0x100, 64);
    ASSERT_TRUE(f.queue.add(&seg, 1, token(1)).ok());
    f.device->push_used(5, 0);  // never handed out
    VirtQueue::Completion done;
    EXPECT_FALSE(f.queue.take_used(done));
    EXPECT_TRUE(f.queue.broken());
}

// A device that works only when notified, like QEMU's: on a kick it turns notifications off,
// works through part of the ring, and when it runs dry turns them back on and re-checks. The
// driver takes used buffers only when interrupted. Nothing may get stuck, in either direction,
// with random batch sizes, through index wraparound, with and without EVENT_IDX.
class LostWakeup : public ::testing::TestWithParam<bool> {};

TEST_P(LostWakeup, NothingStrandsInEitherDirection) {
    const bool event_idx = GetParam();
    Fixture f(8, event_idx);
    std::mt19937 rng(event_idx ? 11 : 12);
    bool device_running = false, interrupted = false;
    uint64_t added = 0, completed = 0, kicks = 0, interrupts = 0;
    std::deque<uint16_t> device_backlog;  // chains the device holds, to complete later
    auto seg = readable(0x100, 64);

    auto device_step = [&] {
        if (!device_running) return;
        f.device->set_notifications(false);
        FakeDevice::Chain chain;
        unsigned budget = rng() % 5;
        for (unsigned i = 0; i < budget && f.device->pop(chain); ++i)
            device_backlog.push_back(chain.head);
        unsigned finish = rng() % (device_backlog.size() + 1);
        for (unsigned i = 0; i < finish; ++i) {
            f.device->push_used(device_backlog.front(), 0);
            device_backlog.pop_front();
        }
        if (f.device->interrupt_needed()) interrupted = true;
        if (f.device->pending() == 0 && device_backlog.empty()) {
            f.device->set_notifications(true);
            // Re-check after re-enabling, as QEMU's virtio_queue_set_notification + re-poll does.
            device_running = f.device->pending() != 0;
        }
    };
    // The driver's reaction to an interrupt, in two halves with device work possibly between
    // them: take what is there with interrupts off, later re-enable and re-check.
    enum class Phase { Idle, Taking } phase = Phase::Idle;
    auto driver_step = [&] {
        VirtQueue::Completion done;
        if (phase == Phase::Idle) {
            if (!interrupted) return;
            interrupted = false;
            ++interrupts;
            f.queue.disable_interrupts();
            while (f.queue.take_used(done)) ++completed;
            phase = Phase::Taking;
        } else if (f.queue.enable_interrupts()) {
            f.queue.disable_interrupts();  // more came meanwhile: keep taking
            while (f.queue.take_used(done)) ++completed;
        } else {
            phase = Phase::Idle;
        }
    };

    for (int step = 0; step < 300000; ++step) {
        if (step < 290000) {
            unsigned n = rng() % 4;
            for (unsigned i = 0; i < n && f.queue.free_descriptors() > 0; ++i) {
                ASSERT_TRUE(f.queue.add(&seg, 1, token(1)).ok());
                ++added;
            }
            if (f.queue.kick_needed()) {
                ++kicks;
                device_running = true;
            }
        }
        if (rng() % 2) device_step();
        driver_step();
    }
    EXPECT_EQ(completed, added);
    EXPECT_EQ(f.queue.free_descriptors(), 8);
    EXPECT_GT(added, 65536u * 2);
    // Suppression works: far fewer kicks and interrupts than buffers.
    EXPECT_LT(kicks, added);
    EXPECT_LT(interrupts, added);
}

INSTANTIATE_TEST_SUITE_P(VirtQueue, LostWakeup, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                             return info.param ? "EventIdx" : "Flags";
                         });
