// Coroutine benchmark (issue 3), host-native x86-64. Coronet's switch against Boost.Context's
// fcontext and glibc's ucontext (raw round trip; create, enter and leave on a ready stack), the
// scheduler's own costs (spawn + run + join, yield), stack creation with and without the pool,
// and the memory an idle coroutine costs. `tools/bench coroutines` runs it and prints a table.
//
// Names are <group>/<implementation>[/<variant>]; tools/bench_coroutines.py relies on them.
// A benchmark whose iteration does more than one operation sets the counter `ops_per_iter` and
// the table divides by it.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <boost/context/detail/fcontext.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "arch/context.hpp"
#include "kernel/sched/coroutine.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/stack_pool.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/align.hpp"
#include "tests/host/host_platform.hpp"

namespace {

using namespace coronet;
namespace fctx = boost::context::detail;

constexpr size_t kRawStackSize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// A stack for the raw benchmarks: mmap'ed with a guard page and touched, so no benchmark pays
// for page faults. Every implementation gets the same kind of stack.
class RawStack {
public:
    explicit RawStack(size_t size = kRawStackSize) : m_size(size) {
        m_mapping = mmap(nullptr, size + kPageSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m_mapping == MAP_FAILED) {
            std::perror("mmap");
            std::abort();
        }
        mprotect(m_mapping, kPageSize, PROT_NONE);
        for (size_t offset = kPageSize; offset < size + kPageSize; offset += kPageSize)
            static_cast<char*>(m_mapping)[offset] = 0;
    }
    ~RawStack() { munmap(m_mapping, m_size + kPageSize); }
    RawStack(const RawStack&) = delete;
    RawStack& operator=(const RawStack&) = delete;

    void* base() const { return static_cast<char*>(m_mapping) + kPageSize; }
    void* top() const { return static_cast<char*>(m_mapping) + kPageSize + m_size; }
    size_t size() const { return m_size; }

private:
    void* m_mapping;
    size_t m_size;
};

// ---------------------------------------------------------------------------------------------
// Switch round trip A -> B -> A. B is a context that switches straight back every time.

struct CoronetPair {
    uintptr_t main_sp = 0;
    uintptr_t other_sp = 0;
};

void coronet_pong(void* argument) {
    auto* pair = static_cast<CoronetPair*>(argument);
    for (;;) coronet_context_switch(&pair->other_sp, pair->main_sp);
}

void switch_coronet(benchmark::State& state) {
    RawStack stack;
    CoronetPair pair;
    pair.other_sp = arch::context_init(stack.top(), coronet_pong, &pair);
    coronet_context_switch(&pair.main_sp, pair.other_sp);  // first entry; comes straight back
    for (auto _ : state) coronet_context_switch(&pair.main_sp, pair.other_sp);
}

void fcontext_pong(fctx::transfer_t transfer) {
    for (;;) transfer = fctx::jump_fcontext(transfer.fctx, nullptr);
}

void switch_fcontext(benchmark::State& state) {
    RawStack stack;
    fctx::fcontext_t other = fctx::make_fcontext(stack.top(), stack.size(), fcontext_pong);
    other = fctx::jump_fcontext(other, nullptr).fctx;
    for (auto _ : state) other = fctx::jump_fcontext(other, nullptr).fctx;
}

ucontext_t g_uc_main;
ucontext_t g_uc_other;

void ucontext_pong() {
    for (;;) swapcontext(&g_uc_other, &g_uc_main);
}

void switch_ucontext(benchmark::State& state) {
    RawStack stack;
    getcontext(&g_uc_other);
    g_uc_other.uc_stack = {stack.base(), 0, stack.size()};
    g_uc_other.uc_link = nullptr;
    makecontext(&g_uc_other, ucontext_pong, 0);
    swapcontext(&g_uc_main, &g_uc_other);
    for (auto _ : state) swapcontext(&g_uc_main, &g_uc_other);
}

// ---------------------------------------------------------------------------------------------
// Create a context on a ready stack, enter it, leave it for good (it is never resumed).

void coronet_leave(void* argument) {
    uintptr_t abandoned;
    coronet_context_switch(&abandoned, *static_cast<uintptr_t*>(argument));
    std::abort();
}

void create_coronet(benchmark::State& state) {
    RawStack stack;
    uintptr_t main_sp = 0;
    for (auto _ : state) {
        uintptr_t sp = arch::context_init(stack.top(), coronet_leave, &main_sp);
        coronet_context_switch(&main_sp, sp);
    }
}

void fcontext_leave(fctx::transfer_t transfer) {
    fctx::jump_fcontext(transfer.fctx, nullptr);
    std::abort();
}

void create_fcontext(benchmark::State& state) {
    RawStack stack;
    for (auto _ : state) {
        fctx::fcontext_t context = fctx::make_fcontext(stack.top(), stack.size(), fcontext_leave);
        benchmark::DoNotOptimize(fctx::jump_fcontext(context, nullptr));
    }
}

ucontext_t g_uc_abandoned;

void ucontext_leave() {
    swapcontext(&g_uc_abandoned, &g_uc_main);
    std::abort();
}

// getcontext() once, outside the loop: makecontext() only needs an initialised ucontext_t and
// rewrites what it uses; the loop is makecontext + swapcontext in + swapcontext out.
void create_ucontext(benchmark::State& state) {
    RawStack stack;
    getcontext(&g_uc_other);
    g_uc_other.uc_stack = {stack.base(), 0, stack.size()};
    g_uc_other.uc_link = nullptr;
    for (auto _ : state) {
        makecontext(&g_uc_other, ucontext_leave, 0);
        swapcontext(&g_uc_main, &g_uc_other);
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduler level.

// Runs `body` as a coroutine (with a roomy stack) until it finishes. The scheduler only blocks
// and joins from coroutines, so benchmarks that do either run their loop in one.
template <typename F>
void run_in_coroutine(benchmark::State& state, F&& body) {
    auto driver = sched::spawn(std::forward<F>(body), {.name = "bench", .stack_size = 256 * 1024});
    if (!driver) {
        state.SkipWithError("spawn of the driver coroutine failed");
        return;
    }
    sched::run_until_idle();
    (void)sched::join(*driver);  // finished already: just frees it
}

void empty_coroutine(void*) {}

sched::SpawnOptions empty_options() {
    return {.name = "empty", .stack_size = sched::kDefaultStackSize};
}

// spawn + run to completion + join, called from the scheduler's own context: one switch in,
// one out, one pass of the loop. Stacks come from the pool after the first iteration.
void spawn_join_from_scheduler(benchmark::State& state, bool measured) {
    host::init_scheduler({.guard_pages = true, .measure_stack_use = measured});
    for (auto _ : state) {
        auto c = sched::spawn(empty_coroutine, nullptr, empty_options());
        if (!c) {
            state.SkipWithError("spawn failed");
            break;
        }
        sched::run_until_idle();
        (void)sched::join(*c);
    }
}

// The same from a coroutine, as applications do it: the joiner blocks, the child runs and
// finishes, the joiner is woken (four switches).
void spawn_join_from_coroutine(benchmark::State& state, bool measured) {
    host::init_scheduler({.guard_pages = true, .measure_stack_use = measured});
    run_in_coroutine(state, [&state] {
        for (auto _ : state) {
            auto c = sched::spawn(empty_coroutine, nullptr, empty_options());
            if (!c) {
                state.SkipWithError("spawn failed");
                break;
            }
            (void)sched::join(*c);
        }
    });
}

struct PingPong {
    bool stop = false;
};

void pong_yielder(void* argument) {
    auto* game = static_cast<PingPong*>(argument);
    while (!game->stop) sched::yield();
}

// Two coroutines yielding to each other through the scheduler. One iteration is two yields
// (A -> scheduler -> B -> scheduler -> A): ops_per_iter = 2, the table shows ns per yield.
void yield_ping_pong(benchmark::State& state) {
    host::init_scheduler({.guard_pages = true, .measure_stack_use = false});
    PingPong game;
    run_in_coroutine(state, [&state, &game] {
        auto pong = sched::spawn(pong_yielder, &game, {.name = "pong"});
        if (!pong) {
            state.SkipWithError("spawn failed");
            return;
        }
        for (auto _ : state) sched::yield();
        game.stop = true;
        (void)sched::join(*pong);
    });
    state.counters["ops_per_iter"] = 2;
}

// Reference for the scheduler rows: the host's clock read, which the loop does a few times per
// coroutine run (timers, watchdog).
void clock_read(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(host::monotonic_ns());
}

// ---------------------------------------------------------------------------------------------
// Stack creation: from scratch (what the pool saves) against the pool.

constexpr size_t kStackSize = sched::kDefaultStackSize;

void stack_mmap(benchmark::State& state, bool touch) {
    for (auto _ : state) {
        void* mapping = mmap(nullptr, kStackSize + kPageSize, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping == MAP_FAILED || mprotect(mapping, kPageSize, PROT_NONE) != 0) {
            state.SkipWithError("mmap/mprotect failed");
            break;
        }
        // The first switch into a new context writes its top page: a page fault.
        if (touch) static_cast<volatile char*>(mapping)[kPageSize + kStackSize - 64] = 0;
        munmap(mapping, kStackSize + kPageSize);
    }
}

sched::StackPool g_pool;  // 24 KiB of cache slots: not on the stack

// StackPool::acquire + release of a cached stack, the path every spawn takes after warm-up.
// Measured (the kernel's setting), release counts the stack's backed pages (mincore here,
// the page tables in the kernel) and trims the cached stack to its top page (madvise here);
// the "coroutine" used its top 512 bytes.
void stack_pool(benchmark::State& state, bool measured) {
    host::init_scheduler({.guard_pages = true, .measure_stack_use = measured});
    g_pool.configure(&sched::platform(), sched::kStackCacheLimit);
    for (auto _ : state) {
        auto stack = g_pool.acquire(kStackSize);
        if (!stack) {
            state.SkipWithError("acquire failed");
            break;
        }
        if (measured) std::fill_n(reinterpret_cast<volatile char*>(stack->top() - 512), 512, 0);
        benchmark::DoNotOptimize(g_pool.release(*stack));
    }
    // Give the cached stack back to the platform so later benchmarks start clean.
    g_pool.configure(&sched::platform(), 0);
    auto stack = g_pool.acquire(kStackSize);
    if (stack) g_pool.release(*stack);
}

// ---------------------------------------------------------------------------------------------
// Memory per idle coroutine: N coroutines blocked on one Event.

size_t resident_bytes() {
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0) return 0;
    char buffer[128];
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return 0;
    buffer[n] = '\0';
    unsigned long size = 0, resident = 0;
    if (std::sscanf(buffer, "%lu %lu", &size, &resident) != 2) return 0;
    return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

struct IdleWaiters {
    sched::Event event;
    size_t blocked = 0;
};

void idle_waiter(void* argument) {
    auto* waiters = static_cast<IdleWaiters*>(argument);
    ++waiters->blocked;
    (void)waiters->event.wait();
}

// Counters, in bytes per coroutine:
//   rss_per_coroutine           RSS growth over the N coroutines / N
//   rss_per_coroutine_marginal  RSS growth over all but the first 1000 / (N - 1000): the first
//                               ones may reuse pooled stacks and heap already resident
//   control_block               sizeof(sched::Coroutine) (it is heap-allocated: plus malloc's
//                               16-byte header, rounded to 16)
// Only the pages a coroutine touched are resident (stacks are committed lazily).
void idle_memory(benchmark::State& state, size_t count, size_t stack_kib, bool guard) {
    const size_t stack_size = stack_kib * 1024;
    constexpr size_t kWarm = 1000;
    host::init_scheduler({.guard_pages = guard, .measure_stack_use = false});
    sched::set_watchdog(0);  // spawning 100 000 in one go is not a bug here
    double per = 0, marginal = 0;
    for (auto _ : state) {
        malloc_trim(0);
        IdleWaiters waiters;
        size_t rss_start = 0, rss_warm = 0, rss_end = 0;
        bool failed = false;
        run_in_coroutine(state, [&] {
            auto spawn_until = [&](size_t total) {
                for (size_t i = waiters.blocked; i < total; ++i) {
                    auto c =
                        sched::spawn(idle_waiter, &waiters,
                                     {.name = "idle", .stack_size = stack_size, .detached = true});
                    if (!c) {
                        failed = true;
                        return;
                    }
                }
                while (waiters.blocked < total) sched::yield();
            };
            rss_start = resident_bytes();
            spawn_until(kWarm);
            rss_warm = resident_bytes();
            if (!failed) spawn_until(count);
            rss_end = resident_bytes();
            waiters.event.set();
        });
        if (failed) {
            state.SkipWithError("spawn failed (out of memory or mappings: see vm.max_map_count)");
            break;
        }
        per = (static_cast<double>(rss_end) - static_cast<double>(rss_start)) /
              static_cast<double>(count);
        marginal = (static_cast<double>(rss_end) - static_cast<double>(rss_warm)) /
                   static_cast<double>(count - kWarm);
    }
    malloc_trim(0);
    sched::set_watchdog(sched::kDefaultWatchdogNs);
    state.counters["rss_per_coroutine"] = per;
    state.counters["rss_per_coroutine_marginal"] = marginal;
    state.counters["control_block"] = static_cast<double>(sizeof(sched::Coroutine));
    state.counters["stack_size"] = static_cast<double>(stack_size);
}

void register_all() {
    using benchmark::RegisterBenchmark;
    RegisterBenchmark("switch_roundtrip/coronet", switch_coronet);
    RegisterBenchmark("switch_roundtrip/fcontext", switch_fcontext);
    RegisterBenchmark("switch_roundtrip/ucontext", switch_ucontext);

    RegisterBenchmark("create_enter_leave/coronet", create_coronet);
    RegisterBenchmark("create_enter_leave/fcontext", create_fcontext);
    RegisterBenchmark("create_enter_leave/ucontext", create_ucontext);

    RegisterBenchmark("sched_spawn_join/from_coroutine/measured", spawn_join_from_coroutine, true);
    RegisterBenchmark("sched_spawn_join/from_coroutine/unmeasured", spawn_join_from_coroutine,
                      false);
    RegisterBenchmark("sched_spawn_join/from_scheduler/unmeasured", spawn_join_from_scheduler,
                      false);
    RegisterBenchmark("sched_yield/ping_pong", yield_ping_pong);
    RegisterBenchmark("clock_read/host", clock_read);

    RegisterBenchmark("stack_create/mmap_guard_munmap", stack_mmap, false);
    RegisterBenchmark("stack_create/mmap_guard_fault_munmap", stack_mmap, true);
    RegisterBenchmark("stack_create/pool/unmeasured", stack_pool, false);
    RegisterBenchmark("stack_create/pool/measured", stack_pool, true);

    // 100 000 guarded stacks need 200 000 mappings (the guard splits each one) and Linux caps a
    // process at vm.max_map_count (65 530 by default): guard pages only at 10 000.
    for (bool guard : {true, false}) {
        for (size_t count : {10000, 100000}) {
            if (guard && count > 10000) continue;
            for (size_t kib : {16, 8}) {
                std::string name = "idle_memory/" + std::to_string(count) + "/" +
                                   std::to_string(kib) + "KiB/" + (guard ? "guard" : "no_guard");
                RegisterBenchmark(name.c_str(), idle_memory, count, kib, guard)
                    ->Iterations(1)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
