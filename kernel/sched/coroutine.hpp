// The coroutine control block. Internal to kernel/sched: apps hold Coroutine* handles only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/list.hpp"
#include "kernel/sched/platform.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/timer_heap.hpp"

namespace coronet::sched {

class WaitQueue;

enum class CoroutineState : uint8_t { Ready, Running, Blocked, Finished };
enum class WakeReason : uint8_t { None, Notified, Timeout };

class Coroutine {
public:
    ListNode queue_node;  // in the ready list or in one wait queue, never both
    TimerNode timer;      // armed while sleeping or waiting with a deadline
    uintptr_t sp = 0;     // saved stack pointer while not running
    StackRegion stack{};
    void (*function)(void*) = nullptr;
    void* argument = nullptr;
    WaitQueue* waiting_on = nullptr;
    Coroutine* joiner = nullptr;
    uint64_t id = 0;
    uint64_t run_started = 0;
    size_t high_water = 0;            // measured when the stack is released
    void* asan_fake_stack = nullptr;  // AddressSanitizer's fiber bookkeeping (host tests only)
    CoroutineState state = CoroutineState::Ready;
    WakeReason wake_reason = WakeReason::None;
    bool detached = false;
    bool faulted = false;
    bool trim_when_blocked = false;  // give back the stack below sp once it has blocked
    char name[kMaxNameLength + 1] = {};

    static Coroutine* from_timer(TimerNode* node) {
        return reinterpret_cast<Coroutine*>(reinterpret_cast<char*>(node) -
                                            offsetof(Coroutine, timer));
    }
};

using CoroutineList = IntrusiveList<Coroutine, &Coroutine::queue_node>;

namespace detail {
// Blocks the running coroutine on `queue` (or just on its deadline when queue is null) until
// woken or the deadline passes.
WakeReason block_current(CoroutineList* queue, WaitQueue* owner, Deadline deadline);
// Makes a blocked coroutine runnable, removing it from its wait queue and timer.
void wake(Coroutine& coroutine, WakeReason reason);
}  // namespace detail

}  // namespace coronet::sched
