// The scheduler on the host: the same switch asm and scheduler code as the kernel, over a Linux
// platform (tests/host). Each test runs in its own process (gtest_discover_tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "arch/testing.hpp"
#include "kernel/sched/channel.hpp"
#include "kernel/sched/list.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/time_units.hpp"
#include "tests/host/host_platform.hpp"

using namespace coronet;
using sched::kForever;

namespace {

class Sched : public ::testing::Test {
protected:
    void SetUp() override { host::init_scheduler(); }
};
}  // namespace

TEST_F(Sched, PingPongAlternates) {
    sched::Channel<int, 1> to_b, to_a;
    std::vector<int> trace;
    auto a = sched::spawn(
        [&] {
            for (int i = 0; i < 1000; ++i) {
                ASSERT_TRUE(to_b.send(i).ok());
                auto reply = to_a.receive();
                ASSERT_TRUE(reply.ok());
                trace.push_back(*reply);
            }
            to_b.close();
        },
        {.name = "ping"});
    auto b = sched::spawn(
        [&] {
            while (auto value = to_b.receive()) ASSERT_TRUE(to_a.send(*value * 2).ok());
        },
        {.name = "pong"});
    ASSERT_TRUE(a.ok() && b.ok());
    sched::run_until_idle();
    ASSERT_EQ(trace.size(), 1000u);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(trace[i], i * 2);
    EXPECT_TRUE(sched::join(*a).ok());
    EXPECT_TRUE(sched::join(*b).ok());
    EXPECT_EQ(sched::stats().alive, 0u);
}

TEST_F(Sched, YieldIsRoundRobin) {
    std::string order;
    std::vector<sched::Coroutine*> all;
    for (char name : {'a', 'b', 'c'}) {
        all.push_back(*sched::spawn([&order, name] {
            for (int i = 0; i < 3; ++i) {
                order += name;
                sched::yield();
            }
        }));
    }
    sched::run_until_idle();
    EXPECT_EQ(order, "abcabcabc");
    for (auto* c : all) EXPECT_TRUE(sched::join(c).ok());
}

TEST_F(Sched, NestedSpawnAndJoin) {
    std::atomic<int> leaves{0};
    auto root = sched::spawn([&] {
        std::vector<sched::Coroutine*> children;
        for (int i = 0; i < 10; ++i) {
            children.push_back(*sched::spawn([&] {
                std::vector<sched::Coroutine*> grandchildren;
                for (int j = 0; j < 10; ++j)
                    grandchildren.push_back(*sched::spawn([&] { ++leaves; }));
                for (auto* g : grandchildren) EXPECT_TRUE(sched::join(g).ok());
            }));
        }
        for (auto* c : children) EXPECT_TRUE(sched::join(c).ok());
        EXPECT_EQ(leaves.load(), 100);
    });
    sched::run_until_idle();
    EXPECT_EQ(leaves.load(), 100);
    EXPECT_TRUE(sched::join(*root).ok());
    EXPECT_EQ(sched::stats().spawned, 111u);
}

TEST(SchedScale, HundredThousandAliveAtOnce) {
    host::init_scheduler({.guard_pages = false, .measure_stack_use = false});
    constexpr int kCount = 100000;
    sched::Event go;
    int finished = 0;
    uint64_t max_alive = 0;
    for (int i = 0; i < kCount; ++i) {
        auto c = sched::spawn(
            [&] {
                ASSERT_TRUE(go.wait().ok());
                ++finished;
            },
            {.name = "many", .stack_size = 8192, .detached = true});
        ASSERT_TRUE(c.ok()) << "spawn " << i;
    }
    auto starter = sched::spawn(
        [&] {
            sched::yield();  // every other coroutine is parked on the event by now
            max_alive = sched::stats().alive;
            go.set();
        },
        {.detached = true});
    ASSERT_TRUE(starter.ok());
    sched::run_until_idle();
    EXPECT_EQ(max_alive, static_cast<uint64_t>(kCount) + 1);
    EXPECT_EQ(finished, kCount);
    EXPECT_EQ(sched::stats().alive, 0u);
}

TEST_F(Sched, TimersFireInDeadlineOrder) {
    constexpr int kCount = 500;
    std::vector<uint64_t> deadlines(kCount);
    std::vector<int> wake_order;
    for (int i = 0; i < kCount; ++i) {
        ASSERT_TRUE(sched::spawn(
                        [&, i] {
                            sched::sleep_until(deadlines[i]);
                            EXPECT_GE(sched::now(), deadlines[i]);
                            wake_order.push_back(i);
                        },
                        {.detached = true})
                        .ok());
    }
    // Deadlines are chosen once everything is spawned (new guarded stacks cost tens of
    // microseconds each), so each is still ahead when its coroutine arms it.
    std::mt19937_64 random(7);
    uint64_t base = sched::now() + 20 * kMillisecond;
    for (auto& d : deadlines) d = base + random() % (100 * kMillisecond);
    sched::run_until_idle();
    ASSERT_EQ(wake_order.size(), static_cast<size_t>(kCount));
    for (int k = 1; k < kCount; ++k)
        EXPECT_LE(deadlines[wake_order[k - 1]], deadlines[wake_order[k]]);
}

TEST_F(Sched, ChannelBlocksWhenFullAndDrainsAfterClose) {
    sched::Channel<int, 2> channel;
    std::vector<std::string> log;
    auto producer = sched::spawn([&] {
        for (int i = 0; i < 4; ++i) {
            ASSERT_TRUE(channel.send(i).ok());
            log.push_back("sent " + std::to_string(i));
        }
        channel.close();
        EXPECT_EQ(channel.send(99).error(), Error::Closed);
        EXPECT_FALSE(channel.try_send(99));
    });
    auto consumer = sched::spawn([&] {
        sched::yield();  // let the producer fill the channel first
        EXPECT_EQ(channel.size(), 2u);
        for (;;) {
            auto v = channel.receive();
            if (!v) {
                EXPECT_EQ(v.error(), Error::Closed);
                break;
            }
            log.push_back("got " + std::to_string(*v));
        }
    });
    sched::run_until_idle();
    std::vector<std::string> got;
    for (auto& line : log)
        if (line.rfind("got", 0) == 0) got.push_back(line);
    EXPECT_EQ(got, (std::vector<std::string>{"got 0", "got 1", "got 2", "got 3"}));
    EXPECT_EQ(log[0], "sent 0");
    EXPECT_EQ(log[1], "sent 1");
    EXPECT_EQ(log[2], "got 0");  // the third send had to wait for room
    EXPECT_TRUE(sched::join(*producer).ok());
    EXPECT_TRUE(sched::join(*consumer).ok());
}

TEST_F(Sched, EveryBlockingCallTimesOut) {
    auto c = sched::spawn([] {
        sched::WaitQueue queue;
        uint64_t start = sched::now();
        EXPECT_EQ(queue.wait(start + 10 * kMillisecond).error(), Error::Timeout);
        EXPECT_GE(sched::now() - start, 10 * kMillisecond);
        EXPECT_EQ(queue.waiters(), 0u);

        sched::Channel<int, 1> empty;
        EXPECT_EQ(empty.receive(sched::now() + 5 * kMillisecond).error(), Error::Timeout);
        sched::Channel<int, 1> full;
        ASSERT_TRUE(full.send(1).ok());
        EXPECT_EQ(full.send(2, sched::now() + 5 * kMillisecond).error(), Error::Timeout);

        sched::Event never;
        EXPECT_EQ(never.wait(sched::now() + 5 * kMillisecond).error(), Error::Timeout);
        EXPECT_EQ(never.wait(sched::now() - 1).error(), Error::Timeout);  // already past

        auto slow = *sched::spawn([] { sched::sleep_for(30 * kMillisecond); });
        EXPECT_EQ(sched::join(slow, sched::now() + 5 * kMillisecond).error(), Error::Timeout);
        EXPECT_TRUE(sched::join(slow).ok());  // still joinable after the timeout
    });
    sched::run_until_idle();
    EXPECT_TRUE(sched::join(*c).ok());
}

TEST_F(Sched, NotifyBeatsTheTimeout) {
    sched::WaitQueue queue;
    Result<void> result = Error::None;
    auto waiter = sched::spawn([&] { result = queue.wait(sched::now() + kSecond); });
    auto notifier = sched::spawn([&] {
        sched::sleep_for(5 * kMillisecond);
        EXPECT_TRUE(queue.notify_one());
    });
    uint64_t start = sched::now();
    sched::run_until_idle();
    EXPECT_TRUE(result.ok());
    // The cancelled timer did not hold the loop.
    EXPECT_LT(sched::now() - start, 500 * kMillisecond);
    EXPECT_TRUE(sched::join(*waiter).ok());
    EXPECT_TRUE(sched::join(*notifier).ok());
}

namespace {
void yield_a_few(void*) {
    for (int i = 0; i < 5; ++i) sched::yield();
}
}  // namespace

TEST_F(Sched, CalleeSavedRegistersAndFpControlSurviveSwitches) {
    uint64_t masks[3] = {~0ULL, ~0ULL, ~0ULL};
    std::vector<sched::Coroutine*> all;
    for (int i = 0; i < 3; ++i) {
        all.push_back(*sched::spawn([&masks, i] {
            masks[i] = arch::testing::arch_testing_callee_saved_survive(
                yield_a_few, nullptr, 0x1111111111111111ULL * (i + 1));
        }));
    }
    sched::run_until_idle();
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(masks[i], 0u) << "coroutine " << i << " lost registers (bit mask)";
    for (auto* c : all) EXPECT_TRUE(sched::join(c).ok());
}

namespace {
[[gnu::noinline]] int recurse(int n) {
    volatile char frame[512];
    frame[0] = static_cast<char>(n);
    if (n > (1 << 30)) return 0;
    return recurse(n + 1) + frame[0];
}
}  // namespace

TEST_F(Sched, StackOverflowKillsOnlyThatCoroutine) {
    int survivor_steps = 0;
    for (int round = 0; round < 2; ++round) {
        auto victim = sched::spawn([] { recurse(0); }, {.name = "overflow", .stack_size = 16384});
        auto survivor = sched::spawn([&] {
            for (int i = 0; i < 3; ++i) {
                ++survivor_steps;
                sched::yield();
            }
        });
        sched::run_until_idle();
        EXPECT_EQ(sched::join(*victim).error(), Error::Reset);
        EXPECT_TRUE(sched::join(*survivor).ok());
    }
    EXPECT_EQ(survivor_steps, 6);
    EXPECT_EQ(sched::stats().faults, 2u);
}

TEST_F(Sched, WatchdogNamesTheHog) {
    sched::set_watchdog(10 * kMillisecond);
    auto hog = sched::spawn([] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); },
                            {.name = "hog"});
    auto polite = sched::spawn([] { sched::sleep_for(30 * kMillisecond); }, {.name = "polite"});
    sched::run_until_idle();
    ASSERT_EQ(host::watchdog_reports().size(), 1u);
    EXPECT_EQ(host::watchdog_reports()[0].rfind("hog:", 0), 0u);
    EXPECT_TRUE(sched::join(*hog).ok());
    EXPECT_TRUE(sched::join(*polite).ok());
}

TEST_F(Sched, EventSourcesArePolledAfterASignal) {
    sched::EventSource source;
    std::atomic<int> polls{0};
    sched::Event delivered;
    source.name = "test-irq";
    source.context = &delivered;
    source.poll = [](void* context) { static_cast<sched::Event*>(context)->set(); };
    sched::add_event_source(source);
    auto waiter = sched::spawn([&] {
        EXPECT_TRUE(delivered.wait(sched::now() + 2000 * kMillisecond).ok());
        ++polls;
    });
    std::thread interrupt([&] {  // stands in for an interrupt handler
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        sched::signal(source);
    });
    sched::run_until_idle();
    interrupt.join();
    EXPECT_EQ(polls.load(), 1);
    EXPECT_TRUE(sched::join(*waiter).ok());
}

TEST_F(Sched, StacksAreReusedAndMeasured) {
    sched::Coroutine* deep = *sched::spawn([] {
        volatile char buffer[6000];
        for (size_t i = 0; i < sizeof buffer; ++i) buffer[i] = 1;
    });
    sched::run_until_idle();
    size_t used = sched::stack_high_water(deep);
    EXPECT_GE(used, 6000u);
    EXPECT_LT(used, sched::kDefaultStackSize);
    EXPECT_TRUE(sched::join(deep).ok());

    uint64_t bytes_before = sched::stats().stack_bytes;
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(sched::spawn([] {}, {.detached = true}).ok());
        sched::run_until_idle();
    }
    EXPECT_EQ(sched::stats().stack_bytes, bytes_before);  // one cached stack, reused each time
    EXPECT_EQ(sched::stats().alive, 0u);
}

TEST_F(Sched, BadArgumentsAreRefused) {
    sched::Coroutine* detached = *sched::spawn([] {}, {.detached = true});
    auto joiner = sched::spawn([&] {
        EXPECT_EQ(sched::join(sched::current()).error(), Error::InvalidArgument);
        EXPECT_EQ(sched::join(nullptr).error(), Error::InvalidArgument);
    });
    (void)detached;
    sched::run_until_idle();
    EXPECT_TRUE(sched::join(*joiner).ok());
}

struct Listed {
    int value;
    sched::ListNode node;
};

TEST(IntrusiveList, ForEachVisitsInOrderAndMayRemoveTheItemItIsGiven) {
    Listed items[5] = {{1, {}}, {2, {}}, {3, {}}, {4, {}}, {5, {}}};
    sched::IntrusiveList<Listed, &Listed::node> list;
    for (Listed& item : items) list.push_back(item);
    std::vector<int> seen;
    list.for_each([&](Listed& item) {
        seen.push_back(item.value);
        if (item.value % 2) list.remove(item);  // the odd ones leave as they are visited
    });
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4, 5}));
    std::vector<int> left;
    list.for_each([&](Listed& item) { left.push_back(item.value); });
    EXPECT_EQ(left, (std::vector<int>{2, 4}));
    EXPECT_EQ(list.size(), 2u);
    EXPECT_FALSE(items[0].node.linked());
}
