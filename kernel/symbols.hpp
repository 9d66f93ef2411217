// Kernel symbol table: function names for backtraces, generated at link time (cmake/image.cmake).
#pragma once

#include <cstddef>
#include <cstdint>

namespace coronet {

struct SymbolEntry {
    uint64_t address;
    uint64_t size;         // 0 when the toolchain did not record one
    uint64_t name_offset;  // into the string blob
};

struct SymbolMatch {
    const char* name;
    uint64_t offset;
};

class SymbolTable {
public:
    constexpr SymbolTable(const SymbolEntry* entries, size_t count, const char* strings)
        : m_entries(entries), m_count(count), m_strings(strings) {}
    // The function containing `address`, or {nullptr, 0}.
    SymbolMatch lookup(uint64_t address) const;
    size_t size() const { return m_count; }

private:
    const SymbolEntry* m_entries;
    size_t m_count;
    const char* m_strings;
};

// The table linked into this image.
const SymbolTable& kernel_symbols();

}  // namespace coronet
