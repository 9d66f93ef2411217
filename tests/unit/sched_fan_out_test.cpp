// WaitGroup, fan_out() and defer() on the host scheduler (real switch asm), over a virtual
// clock: time moves only when every coroutine waits, straight to the next deadline, so the
// tests assert exact times ("the longest call, not the sum") without wall-time thresholds.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kernel/sched/fan_out.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_group.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/defer.hpp"
#include "lib/time_units.hpp"
#include "tests/host/host_platform.hpp"

using namespace coronet;
using sched::Deadline;
using sched::kForever;

namespace {

// The host platform's stacks and fault handling, with the clock and idle replaced.
sched::Platform g_host;
uint64_t g_virtual_now = 0;
// Bit k set: the k-th stack allocation after the test armed the mask fails (k from 0).
uint64_t g_failing_stacks = 0;
unsigned g_stack_allocations = 0;

uint64_t virtual_now() { return g_virtual_now; }

void virtual_idle(Deadline deadline) {
    if (deadline == kForever) {
        // Every coroutine waits with no deadline and no interrupt can come: a hung test.
        fprintf(stderr, "deadlock: the scheduler idles with no deadline\n");
        abort();
    }
    if (deadline > g_virtual_now) g_virtual_now = deadline;
}

Result<sched::StackRegion> allocate_stack(size_t size) {
    bool fail = g_failing_stacks & (uint64_t{1} << (g_stack_allocations++ % 64));
    if (fail) return Error::OutOfMemory;
    return g_host.allocate_stack(size);
}

void fail_stack_allocations(uint64_t mask) {
    g_failing_stacks = mask;
    g_stack_allocations = 0;
}

class FanOut : public ::testing::Test {
protected:
    void SetUp() override {
        host::init_scheduler();
        g_host = sched::platform();
        g_virtual_now = kSecond;
        fail_stack_allocations(0);
        sched::Platform platform = g_host;
        platform.now_ns = virtual_now;
        platform.idle = virtual_idle;
        platform.allocate_stack = allocate_stack;
        sched::init(platform);
    }

    // Runs `body` as the one top-level coroutine (fan_out and WaitGroup::wait block, so they
    // need a coroutine) and then everything it left behind.
    template <typename F>
    void run(F body) {
        ASSERT_TRUE(sched::spawn(body, {.name = "handler", .detached = true}).ok());
        sched::run_until_idle();
        EXPECT_EQ(sched::stats().alive, 0u);
    }
};

// A call that takes `ms` and then answers `value`.
Result<int> slow_answer(uint64_t ms, int value) {
    sched::sleep_for(ms * kMillisecond);
    return value;
}

}  // namespace

TEST_F(FanOut, WaitGroupReleasesOnlyOnTheLastDone) {
    sched::WaitGroup group;
    std::vector<std::string> log;
    uint64_t start = sched::now();
    run([&] {
        group.add(3);
        for (uint64_t ms : {30, 10, 20}) {
            ASSERT_TRUE(sched::spawn(
                            [&, ms] {
                                sched::sleep_for(ms * kMillisecond);
                                group.done();
                                log.push_back("done " + std::to_string(ms) + ", " +
                                              std::to_string(group.count()) + " left");
                            },
                            {.detached = true})
                            .ok());
        }
        EXPECT_TRUE(group.wait().ok());
        log.push_back("released at " + std::to_string(ns_to_ms(sched::now() - start)));
    });
    EXPECT_EQ(log, (std::vector<std::string>{"done 10, 2 left", "done 20, 1 left",
                                             "done 30, 0 left", "released at 30"}));
}

TEST_F(FanOut, WaitGroupWaitTimesOut) {
    run([] {
        sched::WaitGroup group;
        group.add();
        uint64_t start = sched::now();
        EXPECT_EQ(group.wait(start + 10 * kMillisecond).error(), Error::Timeout);
        EXPECT_EQ(sched::now() - start, 10 * kMillisecond);
        EXPECT_EQ(group.count(), 1u);
        group.done();
        // At zero a wait returns at once, even with its deadline already past.
        EXPECT_TRUE(group.wait(sched::now() - 1).ok());
        EXPECT_EQ(sched::now() - start, 10 * kMillisecond);
    });
}

TEST(FanOutDeathTest, WaitGroupDoneBelowZeroIsABrokenInvariant) {
    EXPECT_DEATH(
        {
            sched::WaitGroup group;
            group.add();
            group.done();
            group.done();
        },
        "without a matching add");
}

TEST_F(FanOut, ThreeCallsTakeTheLongestNotTheSum) {
    uint64_t start = sched::now();
    Deadline deadline = start + 100 * kMillisecond;
    std::vector<uint64_t> started;  // outlives every call: the test body waits for all of them
    auto* started_at = &started;
    uint64_t returned_at = 0;
    run([&] {
        auto calls = sched::fan_out(
            deadline,
            [=](Deadline d) {
                started_at->push_back(sched::now());
                EXPECT_EQ(d, deadline);
                return slow_answer(10, 1);
            },
            [=](Deadline) {
                started_at->push_back(sched::now());
                return slow_answer(30, 2);
            },
            [=](Deadline) -> Result<std::string> {
                started_at->push_back(sched::now());
                sched::sleep_for(20 * kMillisecond);
                return std::string("three");
            });
        returned_at = sched::now();
        ASSERT_TRUE(calls.ok());
        auto& [one, two, three] = *calls;
        EXPECT_EQ(one.value_or(-1), 1);
        EXPECT_EQ(two.value_or(-1), 2);
        EXPECT_EQ(three.value_or(""), "three");
    });
    // All three started before any finished, and the caller was back with the slowest one.
    EXPECT_EQ(started, (std::vector<uint64_t>{start, start, start}));
    EXPECT_EQ(returned_at - start, 30 * kMillisecond);
}

namespace {
// Straight-line use, as a handler writes it: one TRY for the fan-out, a Result per call.
Result<std::string> combined(Deadline deadline) {
    auto [a, b, c] = TRY(sched::fan_out(
        deadline, [](Deadline) { return slow_answer(5, 40); },
        [](Deadline) { return slow_answer(15, 2); },
        [](Deadline d) -> Result<void> {
            sched::Event never;
            return never.wait(d);  // bounds its own wait with the shared deadline
        }));
    std::string answer = std::to_string(TRY(std::move(a)) + TRY(std::move(b)));
    return answer + (c.ok() ? " c ok" : std::string(" c ") + error_name(c.error()));
}
}  // namespace

TEST_F(FanOut, StraightLineHandlerWithTry) {
    uint64_t start = sched::now();
    run([&] {
        auto answer = combined(start + 50 * kMillisecond);
        ASSERT_TRUE(answer.ok());
        EXPECT_EQ(*answer, "42 c timeout");
        EXPECT_EQ(sched::now() - start, 50 * kMillisecond);
    });
}

TEST_F(FanOut, LateCallGetsTimeoutAndFinishesDetached) {
    uint64_t start = sched::now();
    // Every call holds a copy; once the shared state is freed only this one is left.
    auto token = std::make_shared<int>(0);
    uint64_t handler_done = 0, late_done = 0;
    auto* late_done_at = &late_done;  // the test body outlives the late call; the handler does not
    run([&] {
        auto calls = sched::fan_out(
            {.name = "upstream", .stack_size = 16 * 1024}, start + 50 * kMillisecond,
            [token](Deadline) { return slow_answer(10, 1); },
            [token](Deadline) { return slow_answer(20, 2); },
            [token, late_done_at](Deadline) -> Result<std::string> {
                sched::sleep_for(500 * kMillisecond);  // ignores its deadline
                *late_done_at = sched::now();
                // Heap memory written into the shared state after the caller has gone.
                return std::string(200, 'x');
            });
        ASSERT_TRUE(calls.ok());
        auto& [one, two, late] = *calls;
        EXPECT_EQ(one.value_or(-1), 1);
        EXPECT_EQ(two.value_or(-1), 2);
        EXPECT_EQ(late.error(), Error::Timeout);
        EXPECT_GT(token.use_count(), 1);  // the late call still holds the state
        handler_done = sched::now();
    });
    EXPECT_EQ(handler_done - start, 50 * kMillisecond);
    EXPECT_EQ(late_done - start, 500 * kMillisecond);
    EXPECT_EQ(token.use_count(), 1);  // the late call freed the state (and the callables)
}

TEST_F(FanOut, DeadlineAlreadyPastReturnsAtOnce) {
    uint64_t start = sched::now();
    auto token = std::make_shared<int>(0);
    int ran = 0;
    auto* ran_count = &ran;
    run([&] {
        auto calls = sched::fan_out(start - 1, [token, ran_count](Deadline) -> Result<int> {
            ++*ran_count;
            return 7;
        });
        ASSERT_TRUE(calls.ok());
        EXPECT_EQ(std::get<0>(*calls).error(), Error::Timeout);
        EXPECT_EQ(sched::now(), start);
        EXPECT_EQ(*ran_count, 0);
    });
    EXPECT_EQ(ran, 1);  // it still ran, after the caller had gone
    EXPECT_EQ(token.use_count(), 1);
}

TEST_F(FanOut, FailedSpawnFillsOnlyItsSlot) {
    uint64_t start = sched::now();
    auto token = std::make_shared<int>(0);
    run([&] {
        fail_stack_allocations(0b010);  // the second call's stack
        auto calls = sched::fan_out(
            start + kSecond, [token](Deadline) { return slow_answer(10, 1); },
            [token](Deadline) { return slow_answer(10, 2); },
            [token](Deadline) { return slow_answer(20, 3); });
        ASSERT_TRUE(calls.ok());
        auto& [one, two, three] = *calls;
        EXPECT_EQ(one.value_or(-1), 1);
        EXPECT_EQ(two.error(), Error::OutOfMemory);
        EXPECT_EQ(three.value_or(-1), 3);
        EXPECT_EQ(sched::now() - start, 20 * kMillisecond);
    });
    EXPECT_EQ(token.use_count(), 1);
}

TEST_F(FanOut, NothingSpawnedReturnsAtOnce) {
    uint64_t start = sched::now();
    auto token = std::make_shared<int>(0);
    run([&] {
        fail_stack_allocations(~uint64_t{0});
        auto calls = sched::fan_out_n<3>(
            start + kSecond, [token](size_t i, Deadline) { return slow_answer(10, int(i)); });
        ASSERT_TRUE(calls.ok());
        for (auto& slot : *calls) EXPECT_EQ(slot.error(), Error::OutOfMemory);
        EXPECT_EQ(sched::now(), start);
        EXPECT_EQ(sched::stats().alive, 1u);  // only this handler
    });
    EXPECT_EQ(token.use_count(), 1);
}

TEST_F(FanOut, IndexedCallsFillAnArrayInOrder) {
    uint64_t start = sched::now();
    run([&] {
        // Slowest first, so finishing order is the reverse of the index order.
        auto calls = sched::fan_out_n<4>(start + kSecond, [](size_t i, Deadline) {
            return slow_answer(40 - 10 * i, int(i * i));
        });
        ASSERT_TRUE(calls.ok());
        for (int i = 0; i < 4; ++i) EXPECT_EQ((*calls)[i].value_or(-1), i * i);
        EXPECT_EQ(sched::now() - start, 40 * kMillisecond);
    });
}

TEST_F(FanOut, ManyFanOutsLeaveNothingBehind) {
    uint64_t start = sched::now();
    auto token = std::make_shared<int>(0);
    uint64_t handler_done = 0;
    run([&] {
        for (int round = 0; round < 50; ++round) {
            // Every other round the 3 ms call misses the 2 ms deadline and runs on detached.
            auto calls = sched::fan_out(
                sched::now() + 2 * kMillisecond, [token](Deadline) { return slow_answer(1, 1); },
                [token, round](Deadline) { return slow_answer(round % 2 ? 3 : 1, round); });
            ASSERT_TRUE(calls.ok());
            EXPECT_EQ(std::get<1>(*calls).ok(), round % 2 == 0) << "round " << round;
        }
        handler_done = sched::now();
    });
    EXPECT_EQ(token.use_count(), 1);
    // 25 rounds back with both calls (1 ms), 25 at the deadline (2 ms): late calls hold no one up.
    EXPECT_EQ(handler_done - start, 75 * kMillisecond);
}

TEST(Defer, RunsOnScopeExit) {
    std::vector<std::string> log;
    {
        auto first = defer([&] { log.push_back("first"); });
        auto second = defer([&] { log.push_back("second"); });
        log.push_back("body");
    }
    EXPECT_EQ(log, (std::vector<std::string>{"body", "second", "first"}));
}

TEST(Defer, DoesNotRunAfterCancel) {
    int runs = 0;
    {
        auto guard = defer([&] { ++runs; });
        guard.cancel();
    }
    EXPECT_EQ(runs, 0);
}

namespace {
// The usual shape: clean up on every error path, keep the resource on success.
Result<int> open_then(bool fail, int& released) {
    auto release = defer([&] { ++released; });
    if (fail) TRY_VOID(Result<void>(Error::Refused));
    release.cancel();
    return 1;
}
}  // namespace

TEST(Defer, RunsOnAnEarlyReturn) {
    int released = 0;
    EXPECT_EQ(open_then(true, released).error(), Error::Refused);
    EXPECT_EQ(released, 1);
    EXPECT_TRUE(open_then(false, released).ok());
    EXPECT_EQ(released, 1);
}
