// AArch64 fault decoding: the words a panic report prints for real ESR values.
#include "arch/aarch64/esr.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

using namespace coronet::arch::aarch64;

namespace {

// A real ESR value and what the panic report says about it.
struct Report {
    const char* name;  // the test's name
    uint64_t esr;
    const char* cause;
    bool far_valid;
    const char* detail;
};

const Report kReports[] = {
    {"NullReadIsATranslationFault", 0x96000006, "data abort", true,
     "translation fault level 2, read"},
    {"WriteToReadOnlyTextIsAPermissionFault", 0x9600004f, "data abort", true,
     "permission fault level 3, write"},
    {"ExecutingDataIsAnInstructionAbort", 0x8600000f, "instruction abort", true,
     "permission fault level 3, instruction fetch"},
    // A BRK reports no fault address.
    {"BrkCarriesItsImmediate", 0xf2000042, "breakpoint", false, "brk #0x42"},
};

// Test listings name the case, not its bytes.
void PrintTo(const Report& report, std::ostream* out) { *out << report.name; }

class EsrReport : public ::testing::TestWithParam<Report> {};

TEST_P(EsrReport, NamesCauseAndDetail) {
    const Report& expected = GetParam();
    char detail[96];
    EsrSummary summary = decode_esr(expected.esr, detail, sizeof detail);
    EXPECT_STREQ(summary.cause, expected.cause);
    EXPECT_EQ(summary.far_valid, expected.far_valid);
    EXPECT_EQ(std::string(detail), expected.detail);
}

INSTANTIATE_TEST_SUITE_P(Esr, EsrReport, ::testing::ValuesIn(kReports),
                         [](const ::testing::TestParamInfo<Report>& info) {
                             return info.param.name;
                         });

}  // namespace

TEST(Esr, ExceptionClassField) {
    EXPECT_EQ(exception_class(0x96000006), ExceptionClass::DataAbort);
    EXPECT_EQ(exception_class(0x5600000f), ExceptionClass::Svc64);
}

TEST(Esr, DetailNeverOverflowsASmallBuffer) {
    char small[8];
    decode_esr(0x9600004f, small, sizeof small);
    EXPECT_EQ(small[sizeof small - 1], '\0');
}
