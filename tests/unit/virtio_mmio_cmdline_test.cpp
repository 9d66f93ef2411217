// virtio_mmio.device= parsing: microvm's and Firecracker's spellings, and what is refused.
#include "drivers/virtio/mmio_cmdline.hpp"

#include <gtest/gtest.h>

using coronet::virtio::parse_mmio_device;

TEST(VirtioMmioCmdline, MicrovmSpelling) {
    auto spec = parse_mmio_device("512@0xfeb00e00:12");
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->size, 512u);
    EXPECT_EQ(spec->base, 0xfeb00e00u);
    EXPECT_EQ(spec->irq, 12u);
}

TEST(VirtioMmioCmdline, FirecrackerSpellingWithSuffixAndId) {
    auto spec = parse_mmio_device("4K@0xd0000000:5");
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->size, 4096u);
    EXPECT_EQ(spec->base, 0xd0000000u);
    EXPECT_EQ(spec->irq, 5u);
    spec = parse_mmio_device("1M@0x1000:33:2");
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->size, 1u << 20);
    EXPECT_EQ(spec->irq, 33u);
}

TEST(VirtioMmioCmdline, RefusesMalformed) {
    EXPECT_FALSE(parse_mmio_device(""));
    EXPECT_FALSE(parse_mmio_device("512"));
    EXPECT_FALSE(parse_mmio_device("512@0xfeb00e00"));
    EXPECT_FALSE(parse_mmio_device("512@0xfeb00e00:"));
    EXPECT_FALSE(parse_mmio_device("0@0xfeb00e00:12"));
    EXPECT_FALSE(parse_mmio_device("512@0xfeb00e00:12x"));
    EXPECT_FALSE(parse_mmio_device("512@0xfeb00e00:12:"));
    EXPECT_FALSE(parse_mmio_device("x@0x1000:1"));
    EXPECT_FALSE(parse_mmio_device("512@0xffffffffffffff00:1"));  // wraps
    EXPECT_FALSE(parse_mmio_device("512@0x1000:99999999999"));
}
