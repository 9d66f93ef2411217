// Blocking primitives for coroutines: a wait queue (the building block), and an event.
// Every wait takes a deadline and reports Error::Timeout when it passes.
#pragma once

#include <cstddef>

#include "kernel/sched/coroutine.hpp"

namespace coronet::sched {

class WaitQueue {
public:
    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Blocks the running coroutine until notified or until `deadline`.
    Result<void> wait(Deadline deadline = kForever);
    bool notify_one();  // false if nobody was waiting
    size_t notify_all();
    size_t waiters() const { return m_waiters.size(); }

private:
    friend void detail::wake(Coroutine&, WakeReason);
    CoroutineList m_waiters;
};

// A flag coroutines can wait for; set() releases every waiter until reset().
class Event {
public:
    void set();
    void reset() { m_set = false; }
    bool is_set() const { return m_set; }
    Result<void> wait(Deadline deadline = kForever);

private:
    bool m_set = false;
    WaitQueue m_queue;
};

}  // namespace coronet::sched
