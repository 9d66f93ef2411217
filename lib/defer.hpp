// defer(): run a callable when the scope ends, e.g. `auto closer = defer([&] { close(fd); });`,
// so every early return (TRY) cleans up alike; cancel() dismisses it once the cleanup is moot.
#pragma once

#include <type_traits>
#include <utility>

namespace coronet {

// Neither copyable nor movable: the cleanup belongs to the scope that made it, and a guard that
// could be moved would need a moved-from state to keep track of. defer() still returns one, as
// C++17 guarantees the returned temporary is built in place.
template <typename F>
class [[nodiscard]] ScopeGuard {
public:
    explicit ScopeGuard(F function) : m_function(std::move(function)) {}
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
    ~ScopeGuard() {
        if (m_armed) m_function();
    }

    void cancel() { m_armed = false; }

private:
    F m_function;
    bool m_armed = true;
};

template <typename F>
ScopeGuard<std::decay_t<F>> defer(F&& function) {
    return ScopeGuard<std::decay_t<F>>(std::forward<F>(function));
}

}  // namespace coronet
