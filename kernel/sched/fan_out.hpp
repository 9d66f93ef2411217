// Fan-out: run a few calls at once, each in its own coroutine, and collect every call's Result
// under one deadline; a handler asking three upstreams in parallel answers in the longest wait.
//
//     auto [user, cart, prices] = TRY(sched::fan_out(sched::now() + 200 * kMillisecond,
//         [id](sched::Deadline d) { return fetch_user(id, d); },
//         [id](sched::Deadline d) { return fetch_cart(id, d); },
//         [](sched::Deadline d) { return fetch_prices(d); }));
//     if (!user) return user.error();  // each slot is a Result of its own
#pragma once

#include <array>
#include <cstddef>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_group.hpp"
#include "lib/assert.hpp"
#include "lib/result.hpp"

namespace coronet::sched {

// A call does what a connection handler does (connect, write, read, parse), and gets the stack
// a Redis connection gets: half the default.
inline constexpr size_t kFanOutStackSize = 32 * 1024;

struct FanOutOptions {
    const char* name = "fan-out";  // every call's coroutine has this name
    size_t stack_size = kFanOutStackSize;
};

namespace detail {

template <typename R>
inline constexpr bool kIsResult = false;
template <typename T>
inline constexpr bool kIsResult<Result<T>> = true;

// Different callables, one slot each: fan_out(deadline, a, b, c) calls a(deadline), ...
template <typename... Fs>
struct EachCall {
    using Results = std::tuple<std::invoke_result_t<Fs&, Deadline>...>;
    static constexpr size_t kCount = sizeof...(Fs);

    template <size_t I>
    auto run(Deadline deadline) {
        return std::get<I>(functions)(deadline);
    }

    std::tuple<Fs...> functions;
};

// One callable run N times, told which: fan_out_n<N>(deadline, f) calls f(i, deadline).
template <typename F, size_t N>
struct IndexedCall {
    using Results = std::array<std::invoke_result_t<F&, size_t, Deadline>, N>;
    static constexpr size_t kCount = N;

    template <size_t I>
    auto run(Deadline deadline) {
        return function(I, deadline);
    }

    F function;
};

// What the caller and the calls' coroutines share. A coroutine cannot be cancelled, so a call
// still running at the deadline runs on after fan_out() has returned: the state lives on the
// heap, counts who holds it (the caller and each call not yet finished) and is freed by
// whoever lets go last. A late call writes its result here, never into the caller's frame.
// A call killed by a stack overflow never lets go: its slot says Timeout, the state stays.
// `Calls` says how many calls there are (kCount) and runs call I (run<I>(deadline)).
template <typename Calls>
class FanOutState {
public:
    using Results = typename Calls::Results;

    // Blocks the calling coroutine until every call is back or `deadline` passes.
    static Result<Results> run(const FanOutOptions& options, Deadline deadline, Calls&& calls) {
        CORONET_ASSERT(current() && "fan_out() waits: call it from a coroutine");
        constexpr auto indexes = std::make_index_sequence<Calls::kCount>{};
        auto* state = new (std::nothrow) FanOutState(deadline, std::move(calls), indexes);
        if (!state) return Error::OutOfMemory;
        state->start_all(options, indexes);
        // A timeout is no error of the fan-out itself: the slots of the calls not back yet
        // still hold the Error::Timeout they started with.
        (void)state->m_outstanding.wait(deadline);
        Results results = std::move(state->m_results);
        state->release();
        return Result<Results>(std::move(results));
    }

private:
    template <size_t... I>
    FanOutState(Deadline deadline, Calls&& calls, std::index_sequence<I...>)
        : m_calls(std::move(calls)), m_results{not_back<I>()...}, m_deadline(deadline) {}

    template <size_t>
    static constexpr Error not_back() {
        return Error::Timeout;
    }

    template <size_t... I>
    void start_all(const FanOutOptions& options, std::index_sequence<I...>) {
        (start<I>(options), ...);
    }

    // Nothing runs before the caller blocks (no preemption), so the order of the steps here
    // matters only for reading: the count and the reference go up before the call exists.
    template <size_t I>
    void start(const FanOutOptions& options) {
        ++m_references;
        m_outstanding.add();
        auto spawned =
            spawn(&call_main<I>, this,
                  {.name = options.name, .stack_size = options.stack_size, .detached = true});
        if (spawned) return;
        std::get<I>(m_results) = spawned.error();  // the other calls still run
        m_outstanding.done();
        --m_references;
    }

    template <size_t I>
    static void call_main(void* argument) {
        auto* state = static_cast<FanOutState*>(argument);
        std::get<I>(state->m_results) = state->m_calls.template run<I>(state->m_deadline);
        state->m_outstanding.done();
        state->release();
    }

    void release() {
        if (--m_references == 0) delete this;
    }

    Calls m_calls;
    Results m_results;
    WaitGroup m_outstanding;
    Deadline m_deadline;
    size_t m_references = 1;  // the caller's
};

template <typename Results>
inline constexpr bool kAllResults = false;
template <typename... R>
inline constexpr bool kAllResults<std::tuple<R...>> = (kIsResult<R> && ...);
template <typename R, size_t N>
inline constexpr bool kAllResults<std::array<R, N>> = kIsResult<R>;

}  // namespace detail

// Runs every callable in its own coroutine and returns, once all are back or `deadline` has
// passed, a tuple with each one's Result<Ti> in argument order. A call receives the deadline to
// bound its own waits; one not back in time reports Error::Timeout, one that could not be
// started (no memory for its coroutine) Error::OutOfMemory, and the others run regardless.
// The fan-out itself fails only with Error::OutOfMemory, when even its shared state cannot be
// allocated; then no call ran. Allocates that state plus one coroutine per call, nothing more.
//
// A call that misses the deadline keeps running after fan_out() returns, until it finishes:
// each callable is moved into the shared state, but what it captures by reference is the
// caller's business. Capture by value; a `[&]` on the caller's locals reads a frame that may
// be gone. Must be called from a coroutine.
template <typename... Fs>
Result<typename detail::EachCall<std::decay_t<Fs>...>::Results> fan_out(
    const FanOutOptions& options, Deadline deadline, Fs&&... functions) {
    using Calls = detail::EachCall<std::decay_t<Fs>...>;
    static_assert(sizeof...(Fs) > 0, "fan_out() of no calls");
    static_assert(detail::kAllResults<typename Calls::Results>,
                  "a fan-out call is Result<T>(sched::Deadline)");
    return detail::FanOutState<Calls>::run(
        options, deadline, Calls{std::tuple<std::decay_t<Fs>...>(std::forward<Fs>(functions)...)});
}

template <typename... Fs>
auto fan_out(Deadline deadline, Fs&&... functions) {
    return fan_out(FanOutOptions{}, deadline, std::forward<Fs>(functions)...);
}

// The same for N calls of one kind (N upstreams, N shards): runs function(i, deadline) for i in
// [0, N), each in its own coroutine, and returns their Results in an array by index. The
// callable is stored once and shared by the N calls; the rules of fan_out() apply.
template <size_t N, typename F>
Result<typename detail::IndexedCall<std::decay_t<F>, N>::Results> fan_out_n(
    const FanOutOptions& options, Deadline deadline, F&& function) {
    using Calls = detail::IndexedCall<std::decay_t<F>, N>;
    static_assert(N > 0, "fan_out_n() of no calls");
    static_assert(detail::kAllResults<typename Calls::Results>,
                  "a fan-out call is Result<T>(size_t index, sched::Deadline)");
    return detail::FanOutState<Calls>::run(options, deadline, Calls{std::forward<F>(function)});
}

template <size_t N, typename F>
auto fan_out_n(Deadline deadline, F&& function) {
    return fan_out_n<N>(FanOutOptions{}, deadline, std::forward<F>(function));
}

}  // namespace coronet::sched
