// virtio_mmio.device= parsing: microvm's and Firecracker's spellings, and what is refused.
#include "drivers/virtio/mmio_cmdline.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

using coronet::virtio::parse_mmio_device;

namespace {

// An accepted spelling and the device it describes.
struct Spelling {
    const char* name;  // the test's name
    std::string_view text;
    uint64_t size;
    uint64_t base;
    uint32_t irq;
};

const Spelling kSpellings[] = {
    {"Microvm", "512@0xfeb00e00:12", 512, 0xfeb00e00, 12},
    {"FirecrackerWithSuffix", "4K@0xd0000000:5", 4096, 0xd0000000, 5},
    {"FirecrackerWithSuffixAndId", "1M@0x1000:33:2", 1u << 20, 0x1000, 33},
};

// Test listings name the case, not its bytes.
void PrintTo(const Spelling& spelling, std::ostream* out) { *out << spelling.name; }

class VirtioMmioSpelling : public ::testing::TestWithParam<Spelling> {};

TEST_P(VirtioMmioSpelling, Parses) {
    const Spelling& expected = GetParam();
    auto spec = parse_mmio_device(expected.text);
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->size, expected.size);
    EXPECT_EQ(spec->base, expected.base);
    EXPECT_EQ(spec->irq, expected.irq);
}

INSTANTIATE_TEST_SUITE_P(VirtioMmioCmdline, VirtioMmioSpelling, ::testing::ValuesIn(kSpellings),
                         [](const ::testing::TestParamInfo<Spelling>& info) {
                             return info.param.name;
                         });

}  // namespace

TEST(VirtioMmioCmdline, RefusesMalformed) {
    for (std::string_view malformed : {
             "",
             "512",
             "512@0xfeb00e00",
             "512@0xfeb00e00:",
             "0@0xfeb00e00:12",
             "512@0xfeb00e00:12x",
             "512@0xfeb00e00:12:",
             "x@0x1000:1",
             "512@0xffffffffffffff00:1",  // wraps
             "512@0x1000:99999999999",
         }) {
        EXPECT_FALSE(parse_mmio_device(malformed)) << malformed;
    }
}
