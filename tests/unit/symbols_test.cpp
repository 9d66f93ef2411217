// SymbolTable lookups as the panic handler uses them.
#include "kernel/symbols.hpp"

#include <gtest/gtest.h>

#include <cstring>

// The image's table is generated at link time; the unit test binary gets an empty one.
extern "C" const uint64_t coronet_symtab_count = 0;
extern "C" const coronet::SymbolEntry coronet_symtab[1] = {};
extern "C" const char coronet_symtab_strings[1] = "";

using coronet::SymbolEntry;
using coronet::SymbolTable;

namespace {
const char kNames[] = "alpha\0beta\0gamma";
const SymbolEntry kEntries[] = {
    {0x1000, 0x20, 0},
    {0x1020, 0, 6},  // size unknown: extends to the next symbol
    {0x2000, 0x10, 11},
};
const SymbolTable kTable(kEntries, 3, kNames);
}  // namespace

TEST(Symbols, FindsContainingFunctionAndOffset) {
    auto m = kTable.lookup(0x1004);
    ASSERT_NE(m.name, nullptr);
    EXPECT_STREQ(m.name, "alpha");
    EXPECT_EQ(m.offset, 4u);
    m = kTable.lookup(0x1500);
    ASSERT_NE(m.name, nullptr);
    EXPECT_STREQ(m.name, "beta");
    EXPECT_EQ(m.offset, 0x4e0u);
    m = kTable.lookup(0x2000);
    EXPECT_STREQ(m.name, "gamma");
}

TEST(Symbols, AddressesOutsideAnySymbolAreUnknown) {
    EXPECT_EQ(kTable.lookup(0xfff).name, nullptr);
    EXPECT_EQ(kTable.lookup(0x2010).name, nullptr);  // past gamma's recorded size
    EXPECT_EQ(coronet::kernel_symbols().lookup(0x1000).name, nullptr);
}
