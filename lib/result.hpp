// Result<T>: a value or an Error code, the return type of every fallible call (no exceptions).
#pragma once

#include <new>
#include <type_traits>
#include <utility>

namespace coronet {

enum class Error : int {
    None = 0,
    OutOfMemory,
    InvalidArgument,
    NotFound,
    Unsupported,
    Busy,
    Timeout,
    Closed,
    Reset,
    Refused,
    LimitReached,
    Malformed,
};

const char* error_name(Error e);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(const T& value) : m_error(Error::None) { new (&m_value) T(value); }
    Result(T&& value) : m_error(Error::None) { new (&m_value) T(std::move(value)); }
    Result(Error error) : m_error(error) {}
    Result(const Result& other) : m_error(other.m_error) {
        if (ok()) new (&m_value) T(other.m_value);
    }
    Result& operator=(const Result&) = delete;
    ~Result() {
        if (ok()) m_value.~T();
    }

    bool ok() const { return m_error == Error::None; }
    explicit operator bool() const { return ok(); }
    Error error() const { return m_error; }
    T& value() { return m_value; }
    const T& value() const { return m_value; }
    T& operator*() { return m_value; }
    T* operator->() { return &m_value; }
    T release_value() { return std::move(m_value); }
    T value_or(T fallback) const { return ok() ? m_value : fallback; }

private:
    Error m_error;
    union {
        T m_value;
    };
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() : m_error(Error::None) {}
    Result(Error error) : m_error(error) {}
    bool ok() const { return m_error == Error::None; }
    explicit operator bool() const { return ok(); }
    Error error() const { return m_error; }

private:
    Error m_error;
};

}  // namespace coronet

// Early return of the error from a Result-returning expression; yields the value otherwise.
#define TRY(expr)                                       \
    ({                                                  \
        auto _try_result = (expr);                      \
        if (!_try_result.ok()) return _try_result.error(); \
        std::move(_try_result.value());                 \
    })
#define TRY_VOID(expr)                                  \
    do {                                                \
        auto _try_result = (expr);                      \
        if (!_try_result.ok()) return _try_result.error(); \
    } while (0)
