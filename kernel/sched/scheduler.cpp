// The scheduler and reactor loop. Coroutines switch only to and from the scheduler's context
// (the boot stack in the kernel, the main thread on the host): one place decides what runs,
// polls event sources and fires timers.
#include "kernel/sched/scheduler.hpp"

#include <cstddef>
#include <cstring>
#include <new>

#include "arch/context.hpp"
#include "kernel/sched/coroutine.hpp"
#include "kernel/sched/stack_pool.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/align.hpp"
#include "lib/assert.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORONET_ASAN_FIBERS 1
#endif

namespace coronet::sched {
namespace {

// AddressSanitizer (host tests) must be told about every stack switch, or it reports false
// errors on the other stack; in the kernel these compile to nothing.
void asan_leave(void** fake_stack_save, const void* to_bottom, size_t to_size) {
#ifdef CORONET_ASAN_FIBERS
    __sanitizer_start_switch_fiber(fake_stack_save, to_bottom, to_size);
#else
    (void)fake_stack_save, (void)to_bottom, (void)to_size;
#endif
}

void asan_arrived(void* fake_stack, const void** from_bottom, size_t* from_size) {
#ifdef CORONET_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(fake_stack, from_bottom, from_size);
#else
    (void)fake_stack, (void)from_bottom, (void)from_size;
#endif
}

struct SchedulerState {
    Platform platform{};
    uintptr_t scheduler_sp = 0;
    Coroutine* current = nullptr;
    CoroutineList ready;
    TimerHeap timers;
    StackPool stacks;
    EventSource* sources = nullptr;
    volatile bool events = false;
    uint64_t watchdog_ns = kDefaultWatchdogNs;
    uint64_t next_id = 1;
    uint64_t clock = 0;  // the latest clock reading: one coroutine's end is the next one's start
    Stats stats{};
    // For AddressSanitizer's fiber API only (host tests).
    void* asan_fake_stack = nullptr;
    const void* stack_bottom = nullptr;
    size_t stack_size = 0;
};

SchedulerState* g = nullptr;

void copy_name(Coroutine& c, const char* name) {
    std::strncpy(c.name, name ? name : "coroutine", kMaxNameLength);
    c.name[kMaxNameLength] = '\0';
}

void make_ready(Coroutine& c) {
    c.state = CoroutineState::Ready;
    g->ready.push_back(c);
}

// Runs in the scheduler's context once the coroutine is off its stack for good.
void retire(Coroutine& c) {
    c.high_water = g->stacks.release(c.stack);
    c.stack = {};
    --g->stats.alive;
    if (c.joiner) detail::wake(*c.joiner, WakeReason::Notified);
    if (c.detached) delete &c;
}

[[noreturn]] void finish_current() {
    Coroutine* c = g->current;
    c->state = CoroutineState::Finished;
    asan_leave(nullptr, g->stack_bottom, g->stack_size);  // this stack is never resumed
    coronet_context_switch(&c->sp, g->scheduler_sp);
    CORONET_UNREACHABLE("a finished coroutine was resumed");
}

void coroutine_main(void* argument) {
    auto* c = static_cast<Coroutine*>(argument);
    asan_arrived(nullptr, &g->stack_bottom, &g->stack_size);
    c->function(c->argument);
    finish_current();
}

void switch_to_scheduler() {
    Coroutine* c = g->current;
    asan_leave(&c->asan_fake_stack, g->stack_bottom, g->stack_size);
    coronet_context_switch(&c->sp, g->scheduler_sp);
    asan_arrived(c->asan_fake_stack, nullptr, nullptr);
}

void run_one(Coroutine& c) {
    g->current = &c;
    c.state = CoroutineState::Running;
    c.run_started = g->clock;
    ++g->stats.switches;
    asan_leave(&g->asan_fake_stack, reinterpret_cast<const void*>(c.stack.base), c.stack.size);
    coronet_context_switch(&g->scheduler_sp, c.sp);
    asan_arrived(g->asan_fake_stack, nullptr, nullptr);
    g->current = nullptr;
    g->clock = g->platform.now_ns();

    if (c.faulted) {
        if (g->platform.resumed_from_fault) g->platform.resumed_from_fault();
    } else if (g->watchdog_ns) {
        uint64_t ran = g->clock - c.run_started;
        if (ran > g->watchdog_ns) {
            ++g->stats.watchdog_reports;
            if (g->platform.report_watchdog) g->platform.report_watchdog(c.name, ran);
        }
    }
    if (c.state == CoroutineState::Finished) {
        retire(c);
    } else if (c.trim_when_blocked && c.state == CoroutineState::Blocked) {
        // Everything below its saved stack pointer is dead until it runs again.
        c.trim_when_blocked = false;
        if (g->platform.trim_stack)
            g->platform.trim_stack(c.stack, c.stack.top() - align_down(c.sp, kPageSize));
    }
}

void poll_sources() {
    g->events = false;
    for (EventSource* s = g->sources; s; s = s->next) {
        if (!s->pending) continue;
        s->pending = false;
        s->poll(s->context);
    }
}

void fire_timers() {
    uint64_t now = g->platform.now_ns();
    while (TimerNode* node = g->timers.pop_due(now)) {
        detail::wake(*Coroutine::from_timer(node), WakeReason::Timeout);
    }
}

// One pass of the loop; false when there was nothing to run and nothing will ever come
// (no coroutine alive) so run_until_idle can return.
void run_pass() {
    if (g->events) poll_sources();
    fire_timers();
    // Run only what is ready now: coroutines made ready by these runs wait for the next pass,
    // after events and timers had their turn.
    size_t batch = g->ready.size();
    g->clock = g->platform.now_ns();
    for (size_t i = 0; i < batch; ++i) {
        Coroutine* c = g->ready.pop_front();
        if (!c) break;
        run_one(*c);
    }
    if (!g->ready.empty() || g->events) return;
    TimerNode* next = g->timers.earliest();
    Deadline deadline = next ? next->deadline : kForever;
    if (deadline != kForever && deadline <= g->platform.now_ns()) return;
    if (g->stats.alive == 0 && deadline == kForever && !g->sources) return;
    uint64_t idle_start = g->platform.now_ns();
    g->platform.idle(deadline);
    g->stats.idle_ns += g->platform.now_ns() - idle_start;
    ++g->stats.idle_calls;
}

}  // namespace

namespace detail {

WakeReason block_current(CoroutineList* queue, WaitQueue* owner, Deadline deadline) {
    Coroutine* c = g->current;
    CORONET_ASSERT(c && "the scheduler's own context cannot block");
    if (deadline != kForever && deadline <= g->platform.now_ns()) return WakeReason::Timeout;
    c->wake_reason = WakeReason::None;
    if (queue) {
        queue->push_back(*c);
        c->waiting_on = owner;
    }
    if (deadline != kForever && !g->timers.insert(c->timer, deadline)) {
        // No memory for the timer: give up waiting rather than risk never waking.
        if (queue) queue->remove(*c);
        c->waiting_on = nullptr;
        return WakeReason::Timeout;
    }
    c->state = CoroutineState::Blocked;
    switch_to_scheduler();
    return c->wake_reason;
}

void wake(Coroutine& c, WakeReason reason) {
    if (c.state != CoroutineState::Blocked) return;
    g->timers.remove(c.timer);
    if (c.waiting_on) {
        c.waiting_on->m_waiters.remove(c);
        c.waiting_on = nullptr;
    }
    c.wake_reason = reason;
    make_ready(c);
}

}  // namespace detail

void init(const Platform& platform) {
    static SchedulerState* state = nullptr;
    if (state) {
        // Re-initialising (host tests do, between cases) needs an idle scheduler; cached
        // stacks go back to the platform that allocated them.
        CORONET_ASSERT(state->stats.alive == 0 && !state->current &&
                       "re-initialised while coroutines live");
        state->stacks.drain();
        state->~SchedulerState();
    } else {
        static_assert(alignof(SchedulerState) <= alignof(std::max_align_t));
        alignas(SchedulerState) static unsigned char storage[sizeof(SchedulerState)];
        state = reinterpret_cast<SchedulerState*>(storage);
    }
    g = new (state) SchedulerState();
    g->platform = platform;
    g->stacks.configure(&g->platform, kStackCacheLimit);
}

const Platform& platform() { return g->platform; }

Result<Coroutine*> spawn(void (*function)(void*), void* argument, const SpawnOptions& options) {
    size_t size = options.stack_size < kMinStackSize ? kMinStackSize : options.stack_size;
    size = align_up(size, kPageSize);
    auto* c = new (std::nothrow) Coroutine();
    if (!c) return Error::OutOfMemory;
    auto stack = g->stacks.acquire(size);
    if (!stack) {
        delete c;
        return stack.error();
    }
    c->stack = *stack;
    c->function = function;
    c->argument = argument;
    c->detached = options.detached;
    c->id = g->next_id++;
    copy_name(*c, options.name);
    c->sp = arch::context_init(reinterpret_cast<void*>(c->stack.top()), coroutine_main, c);
    ++g->stats.alive;
    ++g->stats.spawned;
    make_ready(*c);
    return c;
}

Coroutine* current() { return g ? g->current : nullptr; }
const char* name(const Coroutine* c) { return c ? c->name : "scheduler"; }
uint64_t id(const Coroutine* c) { return c ? c->id : 0; }

void stack_bounds(const Coroutine* c, uint64_t& low, uint64_t& high) {
    low = c->stack.base;
    high = c->stack.top();
}

size_t stack_high_water(const Coroutine* c) {
    if (c->state == CoroutineState::Finished) return c->high_water;
    return g->stacks.high_water(c->stack);
}

void yield() {
    Coroutine* c = g->current;
    if (!c) return;
    make_ready(*c);
    switch_to_scheduler();
}

Result<void> join(Coroutine* c, Deadline deadline) {
    if (!c || c->detached || c == g->current) return Error::InvalidArgument;
    if (c->joiner && c->joiner != g->current) return Error::Busy;
    while (c->state != CoroutineState::Finished) {
        c->joiner = g->current;
        WakeReason reason = detail::block_current(nullptr, nullptr, deadline);
        if (reason == WakeReason::Timeout && c->state != CoroutineState::Finished) {
            c->joiner = nullptr;
            return Error::Timeout;
        }
    }
    bool faulted = c->faulted;
    delete c;
    if (faulted) return Error::Reset;
    return {};
}

void detach(Coroutine* c) {
    if (!c) return;
    if (c->state == CoroutineState::Finished) {
        delete c;
        return;
    }
    c->detached = true;
}

void sleep_until(Deadline deadline) {
    if (!g->current) return;
    while (g->platform.now_ns() < deadline) detail::block_current(nullptr, nullptr, deadline);
}

void add_event_source(EventSource& source) {
    source.next = g->sources;
    g->sources = &source;
}

void signal(EventSource& source) {
    source.pending = true;
    g->events = true;
}

bool events_pending() { return g && g->events; }

void run_until_idle() {
    while (g->stats.alive > 0 || !g->ready.empty()) run_pass();
}

void run_forever() {
    for (;;) run_pass();
}

void trim_stack_when_blocked() {
    if (g && g->current) g->current->trim_when_blocked = true;
}

void set_watchdog(uint64_t limit_ns) { g->watchdog_ns = limit_ns; }

Stats stats() {
    Stats s = g->stats;
    s.stack_bytes = g->stacks.bytes();
    s.stacks_cached = g->stacks.cached();
    return s;
}

Coroutine* guard_fault_owner(uint64_t fault_address) {
    if (!g || !g->current) return nullptr;
    return StackPool::in_guard(g->current->stack, fault_address) ? g->current : nullptr;
}

void abandon_current_after_fault() {
    Coroutine* c = g->current;
    CORONET_ASSERT(c && "a fault outside any coroutine cannot be survived");
    ++g->stats.faults;
    c->faulted = true;
    c->state = CoroutineState::Finished;
    // run_one() sees `faulted` and lets the platform unmask what taking the fault masked.
    uintptr_t abandoned;
    asan_leave(nullptr, g->stack_bottom, g->stack_size);
    coronet_context_switch(&abandoned, g->scheduler_sp);
    CORONET_UNREACHABLE("an abandoned coroutine was resumed");
}

}  // namespace coronet::sched

// The switch asm calls this if a coroutine's entry function returns instead of finishing
// through finish_current().
extern "C" void coronet_context_entry_returned() {
    CORONET_UNREACHABLE("a coroutine's entry function returned");
}
