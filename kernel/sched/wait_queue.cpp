// Wait queue and event on top of the scheduler's block/wake.
#include "kernel/sched/wait_queue.hpp"

namespace coronet::sched {

Result<void> WaitQueue::wait(Deadline deadline) {
    WakeReason reason = detail::block_current(&m_waiters, this, deadline);
    if (reason == WakeReason::Timeout) return Error::Timeout;
    return {};
}

bool WaitQueue::notify_one() {
    Coroutine* waiter = m_waiters.front();
    if (!waiter) return false;
    detail::wake(*waiter, WakeReason::Notified);
    return true;
}

size_t WaitQueue::notify_all() {
    size_t woken = 0;
    while (notify_one()) ++woken;
    return woken;
}

void Event::set() {
    m_set = true;
    m_queue.notify_all();
}

Result<void> Event::wait(Deadline deadline) {
    while (!m_set) {
        auto result = m_queue.wait(deadline);
        if (!result && !m_set) return result;
    }
    return {};
}

}  // namespace coronet::sched
