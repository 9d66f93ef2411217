// AArch64 fault decoding: the words a panic report prints for real ESR values.
#include "arch/aarch64/esr.hpp"

#include <gtest/gtest.h>

using namespace coronet::arch::aarch64;

namespace {
struct Decoded {
    const char* cause;
    bool far_valid;
    std::string detail;
};
Decoded decode(uint64_t esr) {
    char detail[96];
    EsrSummary s = decode_esr(esr, detail, sizeof detail);
    return {s.cause, s.far_valid, detail};
}
}  // namespace

TEST(Esr, NullReadIsATranslationFault) {
    Decoded d = decode(0x96000006);
    EXPECT_STREQ(d.cause, "data abort");
    EXPECT_TRUE(d.far_valid);
    EXPECT_EQ(d.detail, "translation fault level 2, read");
}

TEST(Esr, WriteToReadOnlyTextIsAPermissionFault) {
    Decoded d = decode(0x9600004f);
    EXPECT_STREQ(d.cause, "data abort");
    EXPECT_EQ(d.detail, "permission fault level 3, write");
}

TEST(Esr, ExecutingDataIsAnInstructionAbort) {
    Decoded d = decode(0x8600000f);
    EXPECT_STREQ(d.cause, "instruction abort");
    EXPECT_EQ(d.detail, "permission fault level 3, instruction fetch");
}

TEST(Esr, BrkCarriesItsImmediate) {
    Decoded d = decode(0xf2000042);
    EXPECT_STREQ(d.cause, "breakpoint");
    EXPECT_EQ(d.detail, "brk #0x42");
}

TEST(Esr, ExceptionClassField) {
    EXPECT_EQ(exception_class(0x96000006), ExceptionClass::DataAbort);
    EXPECT_EQ(exception_class(0x5600000f), ExceptionClass::Svc64);
}

TEST(Esr, DetailNeverOverflowsASmallBuffer) {
    char small[8];
    decode_esr(0x9600004f, small, sizeof small);
    EXPECT_EQ(small[sizeof small - 1], '\0');
}
