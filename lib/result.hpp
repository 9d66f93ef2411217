// Result<T>: a value or an Error code, the return type of every fallible call (no exceptions).
// Reading the value of a Result that holds an error is a broken invariant: it stops the
// program naming the caller's file and line, instead of handing out an unconstructed T.
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
    Unreachable,
    LimitReached,
    Malformed,
};

const char* error_name(Error e);

namespace detail {
// Out of line (lib/result.cpp) so each checked access costs a compare and a call, not a
// formatted message; reports through lib/assert.hpp's assertion_failed().
[[noreturn]] void result_access_failed(Error error, const char* file, int line);
[[noreturn]] void result_from_no_error(const char* file, int line);
}  // namespace detail

// value(), release_value() and the constructors take the caller's location as default
// arguments (__builtin_FILE/LINE: std::source_location needs a newer clang than the fuzz
// build's). operator* and operator-> cannot take arguments, so a failure there names
// result.hpp; the kernel's panic backtrace still shows the caller.
template <typename T>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T>, "Result<T&>: hold a pointer instead");
    static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>,
                  "Result<Error> cannot tell value from error");

public:
    Result(const T& value) : m_error(Error::None) { new (&m_value) T(value); }
    Result(T&& value) : m_error(Error::None) { new (&m_value) T(std::move(value)); }
    // An error, never Error::None: that would be a Result with neither a value nor an error.
    Result(Error error, const char* file = __builtin_FILE(), int line = __builtin_LINE())
        : m_error(error) {
        if (error == Error::None) [[unlikely]]
            detail::result_from_no_error(file, line);
    }
    Result(const Result& other) requires std::is_copy_constructible_v<T> : m_error(other.m_error) {
        if (ok()) new (&m_value) T(other.m_value);
    }
    Result(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
        : m_error(other.m_error) {
        if (ok()) new (&m_value) T(std::move(other.m_value));
    }
    Result& operator=(const Result& other) requires std::is_copy_constructible_v<T> {
        if (this != &other) assign(other);
        return *this;
    }
    Result& operator=(Result&& other) {
        if (this != &other) assign(std::move(other));
        return *this;
    }
    ~Result() { reset(); }

    bool ok() const { return m_error == Error::None; }
    explicit operator bool() const { return ok(); }
    Error error() const { return m_error; }

    T& value(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
        check(file, line);
        return m_value;
    }
    const T& value(const char* file = __builtin_FILE(), int line = __builtin_LINE()) const {
        check(file, line);
        return m_value;
    }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    // Moves the value out (for move-only T such as a stream); the Result keeps a moved-from T.
    T release_value(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
        check(file, line);
        return std::move(m_value);
    }
    T value_or(T fallback) const { return ok() ? m_value : fallback; }

private:
    void check(const char* file, int line) const {
        if (!ok()) [[unlikely]]
            detail::result_access_failed(m_error, file, line);
    }
    void reset() {
        if (ok()) m_value.~T();
    }
    template <typename Other>
    void assign(Other&& other) {
        if (ok() && other.ok()) {
            m_value = std::forward<Other>(other).m_value;
            return;
        }
        reset();
        m_error = other.m_error;
        if (ok()) new (&m_value) T(std::forward<Other>(other).m_value);
    }

    Error m_error;
    union {
        T m_value;
    };
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() : m_error(Error::None) {}
    // Error::None is accepted here: with no value to mistake, it is plain success.
    Result(Error error) : m_error(error) {}
    bool ok() const { return m_error == Error::None; }
    explicit operator bool() const { return ok(); }
    Error error() const { return m_error; }

private:
    Error m_error;
};

}  // namespace coronet

// Early return of the error from a Result-returning expression; yields the value otherwise.
#define TRY(expr)                                          \
    ({                                                     \
        auto _try_result = (expr);                         \
        if (!_try_result.ok()) return _try_result.error(); \
        std::move(_try_result.value());                    \
    })
#define TRY_VOID(expr)                                     \
    do {                                                   \
        auto _try_result = (expr);                         \
        if (!_try_result.ok()) return _try_result.error(); \
    } while (0)
