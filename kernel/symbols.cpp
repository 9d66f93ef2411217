// Binary search over the sorted table; a symbol with a known size must contain the address.
#include "kernel/symbols.hpp"

extern "C" const uint64_t coronet_symtab_count;
extern "C" const coronet::SymbolEntry coronet_symtab[];
extern "C" const char coronet_symtab_strings[];

namespace coronet {

SymbolMatch SymbolTable::lookup(uint64_t address) const {
    size_t lo = 0, hi = m_count;
    while (lo < hi) {  // first entry with address > target
        size_t mid = lo + (hi - lo) / 2;
        if (m_entries[mid].address <= address) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return {nullptr, 0};
    const SymbolEntry& e = m_entries[lo - 1];
    uint64_t offset = address - e.address;
    if (e.size != 0 && offset >= e.size) return {nullptr, 0};
    return {m_strings + e.name_offset, offset};
}

const SymbolTable& kernel_symbols() {
    static const SymbolTable table(coronet_symtab, coronet_symtab_count, coronet_symtab_strings);
    return table;
}

}  // namespace coronet
