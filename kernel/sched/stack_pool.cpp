// Stack reuse and high-water measurement. Stacks grow down: the deepest use is the lowest
// address whose pattern byte was overwritten.
#include "kernel/sched/stack_pool.hpp"

#include <cstring>

namespace coronet::sched {

void StackPool::configure(const Platform* platform, bool fill_pattern, size_t cache_limit) {
    m_platform = platform;
    m_fill = fill_pattern;
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
    if (m_fill) std::memset(reinterpret_cast<void*>(stack.base), kPattern, stack.size);
    m_bytes += stack.size;
    return stack;
}

size_t StackPool::high_water(const StackRegion& stack) const {
    if (!m_fill) return 0;
    // Whole words first (stacks are page-aligned), then the bytes of the first changed word.
    constexpr uint64_t kPatternWord = 0x0101010101010101ULL * kPattern;
    const auto* words = reinterpret_cast<const uint64_t*>(stack.base);
    size_t count = stack.size / sizeof(uint64_t);
    size_t untouched_words = 0;
    while (untouched_words < count && words[untouched_words] == kPatternWord) ++untouched_words;
    size_t untouched = untouched_words * sizeof(uint64_t);
    const auto* bytes = reinterpret_cast<const uint8_t*>(stack.base);
    while (untouched < stack.size && bytes[untouched] == kPattern) ++untouched;
    return stack.size - untouched;
}

size_t StackPool::release(const StackRegion& stack) {
    size_t used = high_water(stack);
    if (m_cached < m_cache_limit) {
        // Only the part that was used needs its pattern back.
        if (m_fill) std::memset(reinterpret_cast<void*>(stack.top() - used), kPattern, used);
        m_cache[m_cached++] = stack;
    } else {
        m_platform->release_stack(stack);
        m_bytes -= stack.size;
    }
    return used;
}

}  // namespace coronet::sched
