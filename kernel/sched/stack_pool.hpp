// Coroutine stacks: allocated through the platform (with a guard below each), kept in a cache
// when released so spawning mostly reuses a stack whose top page is ready. A cached stack keeps
// only that page: the platform gives back the rest (a burst of deep calls does not pin memory).
// How deep a stack was used (its high-water mark) is the platform's count of backed pages.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/sched/platform.hpp"
#include "lib/result.hpp"

namespace coronet::sched {

class StackPool {
public:
    // What a cached stack keeps backed: the page its next coroutine starts on.
    static constexpr size_t kKeepBytes = 4096;

    void configure(const Platform* platform, size_t cache_limit);
    // Frees every cached stack through the platform that allocated it.
    void drain();
    Result<StackRegion> acquire(size_t size);
    // Returns the stack's high-water mark (0 where the platform cannot tell) and caches or
    // frees it.
    size_t release(const StackRegion& stack);
    size_t high_water(const StackRegion& stack) const;
    // The stack whose guard contains `address`, if it is one of ours in use (nullptr otherwise
    // is the caller's job: the pool does not track stacks in use).
    static bool in_guard(const StackRegion& stack, uint64_t address) {
        return address >= stack.base - stack.guard && address < stack.base;
    }

    uint64_t bytes() const { return m_bytes; }
    size_t cached() const { return m_cached; }

private:
    static constexpr size_t kMaxCache = 1024;
    const Platform* m_platform = nullptr;
    size_t m_cache_limit = 0;
    StackRegion m_cache[kMaxCache] = {};
    size_t m_cached = 0;
    uint64_t m_bytes = 0;
};

}  // namespace coronet::sched
