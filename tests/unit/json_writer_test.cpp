// JsonWriter output parsed back as a client would: commas, nesting, escaping, overflow.
#include <gtest/gtest.h>

#include <string>

#include "lib/json_writer.hpp"

namespace coronet {
namespace {

TEST(JsonWriter, NestedDocument) {
    char buffer[256];
    JsonWriter json(buffer, sizeof buffer);
    json.begin_object().member("a", uint64_t{1}).member("b", "x");
    json.key("list")
        .begin_array()
        .value(uint64_t{1})
        .value(int64_t{-2})
        .value(true)
        .begin_object()
        .end_object()
        .end_array();
    json.key("empty").begin_array().end_array();
    json.end_object();
    EXPECT_TRUE(json.complete());
    EXPECT_EQ(std::string(json.text()), R"({"a":1,"b":"x","list":[1,-2,true,{}],"empty":[]})");
}

TEST(JsonWriter, EscapesStrings) {
    char buffer[128];
    JsonWriter json(buffer, sizeof buffer);
    json.value(std::string_view("q\"b\\n\n\x01", 7));
    EXPECT_EQ(std::string(json.text()), R"("q\"b\\n\n\u0001")");
}

TEST(JsonWriter, ExtremeNumbers) {
    char buffer[128];
    JsonWriter json(buffer, sizeof buffer);
    json.begin_array()
        .value(uint64_t{18446744073709551615ULL})
        .value(int64_t{-9223372036854775807LL - 1})
        .value(uint64_t{0})
        .end_array();
    EXPECT_EQ(std::string(json.text()), "[18446744073709551615,-9223372036854775808,0]");
}

TEST(JsonWriter, FixedPointDecimals) {
    char buffer[128];
    JsonWriter json(buffer, sizeof buffer);
    json.begin_array()
        .fixed(3000412, 6)
        .fixed(-1500, 3)
        .fixed(7, 3)
        .fixed(-7, 2)
        .fixed(42, 0)
        .fixed(0, 1)
        .end_array();
    EXPECT_EQ(std::string(json.text()), "[3.000412,-1.500,0.007,-0.07,42,0.0]");
    JsonWriter member(buffer, sizeof buffer);
    member.begin_object().member("a", uint64_t{1});
    member.key("t").fixed(-9223372036854775807LL - 1, 18);
    member.end_object();
    EXPECT_EQ(std::string(member.text()), R"({"a":1,"t":-9.223372036854775808})");
}

TEST(JsonWriter, OverflowIsReportedNotHidden) {
    char buffer[8];
    JsonWriter json(buffer, sizeof buffer);
    json.begin_object().member("long-name", uint64_t{12345}).end_object();
    EXPECT_TRUE(json.overflow());
    EXPECT_FALSE(json.complete());
}

TEST(JsonWriter, UnclosedIsIncomplete) {
    char buffer[32];
    JsonWriter json(buffer, sizeof buffer);
    json.begin_object();
    EXPECT_FALSE(json.complete());
}

}  // namespace
}  // namespace coronet
