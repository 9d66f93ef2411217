// Cooperative coroutines: spawn, yield, join, sleep, and the reactor loop that runs them.
// Single CPU, no preemption: a coroutine runs until it blocks or yields. Interrupt handlers
// never switch; they signal an EventSource and the loop polls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "kernel/sched/platform.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"

namespace coronet::sched {

class Coroutine;

// Virtual space: memory backs only the pages a coroutine touches (on the kernel platform).
inline constexpr size_t kDefaultStackSize = 64 * 1024;
inline constexpr size_t kMinStackSize = 4 * 1024;
inline constexpr size_t kMaxNameLength = 31;
inline constexpr uint64_t kDefaultWatchdogNs = 50 * kMillisecond;
inline constexpr size_t kStackCacheLimit = 256;  // released stacks kept for reuse

struct SpawnOptions {
    const char* name = "coroutine";
    size_t stack_size = kDefaultStackSize;  // rounded up to whole pages
    bool detached = false;                  // freed when it finishes; cannot be joined
};

struct Stats {
    uint64_t alive;  // spawned and not yet finished
    uint64_t spawned;
    uint64_t switches;     // into coroutines
    uint64_t stack_bytes;  // stack space reserved (in use plus cached; virtual on the kernel)
    uint64_t stacks_cached;
    uint64_t idle_ns;  // time spent in Platform::idle
    uint64_t idle_calls;
    uint64_t watchdog_reports;
    uint64_t faults;  // coroutines killed by a stack overflow
};

void init(const Platform& platform);
const Platform& platform();
inline uint64_t now() { return platform().now_ns(); }

Result<Coroutine*> spawn(void (*function)(void*), void* argument, const SpawnOptions& options = {});

// Spawns a copy of any callable (lambda with captures); the copy lives on the heap.
template <typename F>
Result<Coroutine*> spawn(F&& function, const SpawnOptions& options = {}) {
    using Callable = std::decay_t<F>;
    auto* copy = new (std::nothrow) Callable(std::forward<F>(function));
    if (!copy) return Error::OutOfMemory;
    auto result = spawn(
        [](void* p) {
            auto* callable = static_cast<Callable*>(p);
            (*callable)();
            delete callable;
        },
        copy, options);
    if (!result) delete copy;
    return result;
}

Coroutine* current();  // nullptr in the scheduler's own context
const char* name(const Coroutine* coroutine);
uint64_t id(const Coroutine* coroutine);
// The usable stack of a coroutine, [low, high).
void stack_bounds(const Coroutine* coroutine, uint64_t& low, uint64_t& high);
// Deepest stack use so far, in bytes, to a page: the stack's pages backed by memory (0 where
// the platform cannot tell).
size_t stack_high_water(const Coroutine* coroutine);

void yield();
// Waits for the coroutine to finish and frees it. Error::Timeout leaves it joinable;
// Error::Reset means it was killed by a fault (and is freed all the same).
Result<void> join(Coroutine* coroutine, Deadline deadline = kForever);
void detach(Coroutine* coroutine);

// The running coroutine is about to wait with nothing on its stack below its current depth that
// it needs (an idle connection): once it has blocked, the memory behind the stack below its
// saved stack pointer goes back to the platform. Pages are mapped again when it runs deeper.
void trim_stack_when_blocked();

void sleep_until(Deadline deadline);
inline void sleep_for(uint64_t ns) { sleep_until(now() + ns); }

// An interrupt-driven source of work: the handler calls signal(), the loop calls poll() soon
// after, in the scheduler's context (where lwIP and the socket layer may run).
struct EventSource {
    const char* name = "";
    void (*poll)(void* context) = nullptr;
    void* context = nullptr;
    volatile bool pending = false;
    EventSource* next = nullptr;
};
void add_event_source(EventSource& source);
void signal(EventSource& source);  // safe from interrupt handlers
bool events_pending();

// The reactor loop. run_until_idle() returns once no coroutine is alive; run_forever() is the
// appliance's main loop.
void run_until_idle();
[[noreturn]] void run_forever();

void set_watchdog(uint64_t limit_ns);  // 0 turns it off
Stats stats();

// For the fault handler: the running coroutine, if `fault_address` is in its stack's guard.
Coroutine* guard_fault_owner(uint64_t fault_address);
// Kills the running coroutine after a fault it cannot survive (its joiner gets Error::Reset) and
// resumes the scheduler's context; the faulting stack and handler frame are abandoned.
[[noreturn]] void abandon_current_after_fault();

}  // namespace coronet::sched
