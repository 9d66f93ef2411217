// Commands as a client sends them: a RESP array of bulk strings, one per argument, so any bytes
// (a binary value, a CRLF inside a key) go through unquoted, as every client library sends them.
// Integers are written as their decimal text, as Redis expects them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "lib/output.hpp"
#include "lib/result.hpp"

namespace coronet::redis {

// One argument: bytes, or an integer. Implicit, so a command reads as its words:
// {"SET", key, value}, {"INCRBY", "counter", 5}.
class CommandArg {
public:
    CommandArg() = default;  // an empty string
    // Anything that is a string_view: a literal, a view, a host test's std::string.
    template <typename S>
    requires std::is_convertible_v<const S&, std::string_view> CommandArg(const S& bytes)
        : m_bytes(bytes) {}
    template <typename T>
    requires std::is_integral_v<T> &&
        (!std::is_same_v<T, bool>)&&(!std::is_same_v<T, char>)CommandArg(T value)
        : m_integer(true) {
        if constexpr (std::is_signed_v<T>) {
            m_negative = value < 0;
            // Negated as unsigned: INT64_MIN has no positive int64.
            m_magnitude =
                m_negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
        } else {
            m_magnitude = value;
        }
    }

    bool is_integer() const { return m_integer; }
    std::string_view bytes() const { return m_bytes; }
    bool negative() const { return m_negative; }
    uint64_t magnitude() const { return m_magnitude; }
    // Bytes on the wire inside its bulk string.
    size_t length() const;

private:
    std::string_view m_bytes;
    uint64_t m_magnitude = 0;
    bool m_integer = false;
    bool m_negative = false;
};

// Appends `*<count>` and each argument as `$<length>` and its bytes; a big argument goes to the
// sink whole, without a copy (Output::append). `count` must be at least 1.
Result<void> encode_command(Output& out, const CommandArg* args, size_t count);

}  // namespace coronet::redis
