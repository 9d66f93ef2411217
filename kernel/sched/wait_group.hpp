// WaitGroup: a count of outstanding pieces of work that coroutines can wait to reach zero, as a
// handler waits for the upstream calls it started. Header only: a few lines over WaitQueue.
#pragma once

#include <cstddef>

#include "kernel/sched/wait_queue.hpp"
#include "lib/assert.hpp"

namespace coronet::sched {

class WaitGroup {
public:
    WaitGroup() = default;
    WaitGroup(const WaitGroup&) = delete;
    WaitGroup& operator=(const WaitGroup&) = delete;

    // Call before starting the work, not from inside it: a waiter that runs first must already
    // see the count.
    void add(size_t n = 1) { m_count += n; }

    void done() {
        CORONET_ASSERT(m_count > 0 && "WaitGroup::done() without a matching add()");
        if (--m_count == 0) m_waiters.notify_all();
    }

    // Returns once the count is zero (at once if it is already), or Error::Timeout when
    // `deadline` passes first. Blocks, so only a coroutine may wait.
    Result<void> wait(Deadline deadline = kForever) {
        while (m_count > 0) {
            auto waited = m_waiters.wait(deadline);
            // A done() and the deadline in the same pass: the count decides.
            if (!waited && m_count > 0) return waited.error();
        }
        return {};
    }

    size_t count() const { return m_count; }

private:
    size_t m_count = 0;
    WaitQueue m_waiters;
};

}  // namespace coronet::sched
