// A small JSON writer into a caller's buffer: objects, arrays, strings (escaped), unsigned and
// signed integers, fixed-point decimals, booleans. Commas are placed for you; nesting is
// bounded. Once the buffer is full the writer stops and reports overflow() instead of emitting
// truncated JSON silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coronet {

class JsonWriter {
public:
    static constexpr size_t kMaxDepth = 16;

    JsonWriter(char* buffer, size_t capacity) : m_buffer(buffer), m_capacity(capacity) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // The next member's name (inside an object); follow it with a value or a begin_*().
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(uint64_t number);
    JsonWriter& value(int64_t number);
    JsonWriter& value(bool flag);
    // A decimal fraction without floating point: `scaled` / 10^`decimals`, written with exactly
    // `decimals` digits after the point (3000412 with 6 decimals is 3.000412). At most 18.
    JsonWriter& fixed(int64_t scaled, unsigned decimals);

    // key + value in one call.
    template <typename T>
    JsonWriter& member(std::string_view name, T v) {
        return key(name).value(v);
    }

    std::string_view text() const { return {m_buffer, m_length}; }
    bool overflow() const { return m_overflow; }
    // Complete: every object and array closed, nothing lost to overflow.
    bool complete() const { return !m_overflow && m_depth == 0 && m_length > 0; }

private:
    void separate();  // a comma before the second and later items of a container
    void put(char c);
    void put(std::string_view s);
    JsonWriter& open(char c);
    JsonWriter& close(char c);

    char* m_buffer;
    size_t m_capacity;
    size_t m_length = 0;
    bool m_overflow = false;
    size_t m_depth = 0;
    bool m_has_items[kMaxDepth + 1] = {};
    bool m_after_key = false;
};

}  // namespace coronet
