// BootConfig: the kernel command line as users write it with `-append`.
#include "kernel/boot_config.hpp"

#include <gtest/gtest.h>

#include <string>

using coronet::BootConfig;

TEST(BootConfig, KeyValuesAndFlags) {
    BootConfig c;
    c.parse("loglevel=debug  quiet\tip=10.0.2.15/24 test=timer");
    EXPECT_EQ(c.word_count(), 4u);
    EXPECT_EQ(c.get("loglevel"), "debug");
    EXPECT_TRUE(c.has("quiet"));
    EXPECT_EQ(*c.get("quiet"), "");
    EXPECT_EQ(c.get("ip"), "10.0.2.15/24");
    EXPECT_FALSE(c.get("missing").has_value());
    EXPECT_EQ(c.get_or("missing", "fallback"), "fallback");
}

TEST(BootConfig, LastValueWinsAndValueMayContainEquals) {
    BootConfig c;
    c.parse("a=1 a=2 b=x=y");
    EXPECT_EQ(c.get("a"), "2");
    EXPECT_EQ(c.get("b"), "x=y");
}

TEST(BootConfig, Numbers) {
    BootConfig c;
    c.parse("port=8080 mask=0xff bad=12a empty= huge=99999999999999999999999");
    EXPECT_EQ(c.get_number("port"), 8080u);
    EXPECT_EQ(c.get_number("mask"), 0xffu);
    EXPECT_FALSE(c.get_number("bad").has_value());
    EXPECT_FALSE(c.get_number("empty").has_value());
    EXPECT_FALSE(c.get_number("huge").has_value());
    EXPECT_FALSE(c.get_number("absent").has_value());
}

TEST(BootConfig, EmptyAndWhitespaceOnly) {
    BootConfig c;
    c.parse("");
    EXPECT_EQ(c.word_count(), 0u);
    c.parse("   \t ");
    EXPECT_EQ(c.word_count(), 0u);
    EXPECT_FALSE(c.truncated());
}

TEST(BootConfig, LimitsTruncateInsteadOfOverflowing) {
    std::string long_line(BootConfig::kMaxLength + 100, 'x');
    BootConfig c;
    c.parse(long_line);
    EXPECT_TRUE(c.truncated());
    EXPECT_EQ(c.text().size(), BootConfig::kMaxLength);

    std::string many;
    for (size_t i = 0; i < BootConfig::kMaxWords + 10; ++i) many += "w" + std::to_string(i) + " ";
    c.parse(many);
    EXPECT_TRUE(c.truncated());
    EXPECT_EQ(c.word_count(), BootConfig::kMaxWords);
    EXPECT_TRUE(c.has("w0"));
    EXPECT_FALSE(c.has("w70"));
}

TEST(BootConfig, ReparseReplacesEverything) {
    BootConfig c;
    c.parse("a=1");
    c.parse("b=2");
    EXPECT_FALSE(c.has("a"));
    EXPECT_EQ(c.get("b"), "2");
}

TEST(BootConfig, RepeatedKeysIterateInOrder) {
    BootConfig c;
    c.parse(
        "console=ttyS0 virtio_mmio.device=512@0xfeb00e00:12 quiet "
        "virtio_mmio.device=512@0xfeb00c00:11 "
        "virtio_mmio.device");
    EXPECT_EQ(c.count("virtio_mmio.device"), 3u);
    EXPECT_EQ(c.get_nth("virtio_mmio.device", 0), "512@0xfeb00e00:12");
    EXPECT_EQ(c.get_nth("virtio_mmio.device", 1), "512@0xfeb00c00:11");
    EXPECT_EQ(c.get_nth("virtio_mmio.device", 2), "");  // bare flag
    EXPECT_FALSE(c.get_nth("virtio_mmio.device", 3).has_value());
    EXPECT_EQ(c.get("virtio_mmio.device"), "");  // get() still means the last one
    EXPECT_EQ(c.count("absent"), 0u);
    EXPECT_FALSE(c.get_nth("absent", 0).has_value());
    EXPECT_EQ(c.count("quiet"), 1u);
}
