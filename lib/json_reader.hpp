// A small JSON reader (RFC 8259) over a complete document in the caller's buffer, for the short
// messages protocols exchange (iperf3's parameters and results). parse_json() checks the whole
// document once, with its nesting depth bounded and no allocation; values are then views into
// it, and lookups scan the checked text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/result.hpp"

namespace coronet {

enum class JsonType : uint8_t { Null, Bool, Number, String, Array, Object };

// One value of a checked document, or none (a member that is not there): every accessor of an
// absent value or of a value of another type answers "absent" (nullopt, an absent value).
class JsonValue {
public:
    JsonValue() = default;

    bool exists() const { return m_begin != nullptr; }
    explicit operator bool() const { return exists(); }
    JsonType type() const { return m_type; }
    bool is(JsonType type) const { return exists() && m_type == type; }
    // The value as it is written in the document.
    std::string_view text() const {
        return exists() ? std::string_view(m_begin, static_cast<size_t>(m_end - m_begin))
                        : std::string_view();
    }

    // The first member of an object with this name (escapes in the document's names are
    // decoded before comparing).
    JsonValue get(std::string_view name) const;
    // Arrays and objects: the first element or member, the next one after this, how many.
    JsonValue first() const;
    JsonValue next() const;
    size_t size() const;
    // For a member of an object: whether its name is `name`.
    bool name_is(std::string_view name) const;

    std::optional<bool> as_bool() const;
    // A number whose value is a whole number that fits, however written (1500, 1.5e3, 1500.0:
    // cJSON writes a large integer with an exponent); nullopt otherwise.
    std::optional<int64_t> as_int() const;
    std::optional<uint64_t> as_uint() const;
    // A string with its escapes decoded (as UTF-8; a lone surrogate becomes U+FFFD) into
    // `buffer`; nullopt when it is not a string or does not fit.
    std::optional<std::string_view> as_string(char* buffer, size_t capacity) const;

private:
    friend Result<JsonValue> parse_json(std::string_view document);
    JsonValue(const char* begin, const char* limit, const char* name);

    const char* m_begin = nullptr;  // the value's first character
    const char* m_end = nullptr;    // one past its last
    const char* m_limit = nullptr;  // the document's end
    const char* m_name = nullptr;   // the opening quote of its name, when a member of an object
    JsonType m_type = JsonType::Null;
};

inline constexpr size_t kMaxJsonDepth = 32;  // nested arrays and objects

// Checks `document` is one JSON value (whitespace around it allowed) with arrays and objects
// nested at most kMaxJsonDepth deep. Malformed otherwise.
Result<JsonValue> parse_json(std::string_view document);

}  // namespace coronet
