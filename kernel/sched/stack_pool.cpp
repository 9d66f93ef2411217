// Stack reuse and high-water measurement.
#include "kernel/sched/stack_pool.hpp"

#include "lib/align.hpp"

namespace coronet::sched {

void StackPool::configure(const Platform* platform, size_t cache_limit) {
    m_platform = platform;
    m_cache_limit = cache_limit < kMaxCache ? cache_limit : kMaxCache;
}

void StackPool::drain() {
    while (m_cached > 0) {
        const StackRegion& stack = m_cache[--m_cached];
        m_platform->release_stack(stack);
        m_bytes -= stack.size;
    }
}

Result<StackRegion> StackPool::acquire(size_t size) {
    for (size_t i = m_cached; i > 0; --i) {
        if (m_cache[i - 1].size == size) {
            StackRegion stack = m_cache[i - 1];
            m_cache[i - 1] = m_cache[--m_cached];
            return stack;
        }
    }
    StackRegion stack = TRY(m_platform->allocate_stack(size));
    m_bytes += stack.size;
    return stack;
}

size_t StackPool::high_water(const StackRegion& stack) const {
    return m_platform->stack_pages ? m_platform->stack_pages(stack) * kPageSize : 0;
}

size_t StackPool::release(const StackRegion& stack) {
    size_t used = high_water(stack);
    if (m_cached < m_cache_limit) {
        // A coroutine that stayed on its top page left nothing below it to give back.
        bool deeper = !m_platform->stack_pages || used > kKeepBytes;
        if (m_platform->trim_stack && deeper) m_platform->trim_stack(stack, kKeepBytes);
        m_cache[m_cached++] = stack;
    } else {
        m_platform->release_stack(stack);
        m_bytes -= stack.size;
    }
    return used;
}

}  // namespace coronet::sched
