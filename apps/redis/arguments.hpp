// The arguments of one Redis command: views into the connection's input buffer, kept in a small
// inline array that grows on the heap for long commands (MSET with thousands of pairs). Inline
// commands with quoted, escaped arguments keep their unescaped bytes here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/result.hpp"

namespace coronet::redis {

class Arguments {
public:
    static constexpr size_t kInlineCapacity = 8;

    Arguments() = default;
    Arguments(const Arguments&) = delete;
    Arguments& operator=(const Arguments&) = delete;
    ~Arguments() { release(); }

    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    std::string_view operator[](size_t index) const { return m_items[index]; }
    const std::string_view* begin() const { return m_items; }
    const std::string_view* end() const { return m_items + m_size; }

    // Appends a view; OutOfMemory when the array cannot grow.
    Result<void> push(std::string_view argument);
    // Replaces argument `index` (rebasing, unescaping).
    void set(size_t index, std::string_view argument) { m_items[index] = argument; }
    // Room for `bytes` of unescaped argument text owned by this object, valid until clear().
    // Meant to be called once per command: a later call must fit in the block already there,
    // since the views made into it would not follow the block if it moved.
    Result<char*> scratch(size_t bytes);
    // Makes room for `count` arguments at once (a multibulk announces its count): bounded by
    // the caller, so a declared count alone never allocates much.
    Result<void> reserve(size_t count);
    // Forgets the arguments; storage is kept for the next command.
    void clear() {
        m_size = 0;
        m_scratch_used = 0;
    }
    // Forgets them and frees any heap storage (the connection goes idle).
    void release();

private:
    std::string_view m_inline[kInlineCapacity];
    std::string_view* m_items = m_inline;
    size_t m_size = 0;
    size_t m_capacity = kInlineCapacity;
    char* m_scratch = nullptr;
    size_t m_scratch_capacity = 0;
    size_t m_scratch_used = 0;
};

}  // namespace coronet::redis
