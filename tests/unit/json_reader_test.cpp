// JsonReader: documents iperf3 and others write, lookups, numbers at their limits, strings with
// escapes, and what is not JSON (malformed, too deep, cut short anywhere).
#include <gtest/gtest.h>

#include <string>

#include "lib/json_reader.hpp"
#include "lib/json_writer.hpp"

namespace coronet {
namespace {

JsonValue parsed(std::string_view text) {
    auto result = parse_json(text);
    EXPECT_TRUE(result.ok()) << text;
    return result.ok() ? *result : JsonValue();
}

TEST(JsonReader, IperfParameters) {
    std::string text =
        R"({"tcp":true,"omit":0,"time":3,"num":0,"blockcount":0,"parallel":8,"reverse":true,)"
        R"("len":131072,"pacing_timer":1000,"client_version":"3.12"})";
    JsonValue params = parsed(text);
    EXPECT_TRUE(params.is(JsonType::Object));
    EXPECT_EQ(params.size(), 10u);
    EXPECT_EQ(params.get("time").as_uint(), 3u);
    EXPECT_EQ(params.get("parallel").as_uint(), 8u);
    EXPECT_EQ(params.get("len").as_uint(), 131072u);
    EXPECT_EQ(params.get("reverse").as_bool(), true);
    EXPECT_EQ(params.get("tcp").type(), JsonType::Bool);
    EXPECT_FALSE(params.get("udp"));
    EXPECT_FALSE(params.get("udp").as_uint());
    char buffer[16];
    EXPECT_EQ(params.get("client_version").as_string(buffer, sizeof buffer), "3.12");
    EXPECT_EQ(params.get("time").text(), "3");
}

TEST(JsonReader, NestedAndIterated) {
    JsonValue doc = parsed(
        R"( { "streams" : [ {"id":1,"bytes":10}, {"id":3,"bytes":20} , {"id":4,"bytes":[]} ],)"
        R"( "cpu": 1.5e2, "none": null, "empty": {}, "list": [] } )");
    JsonValue streams = doc.get("streams");
    ASSERT_TRUE(streams.is(JsonType::Array));
    EXPECT_EQ(streams.size(), 3u);
    uint64_t ids = 0;
    for (JsonValue s = streams.first(); s; s = s.next()) ids += s.get("id").as_uint().value_or(0);
    EXPECT_EQ(ids, 8u);
    EXPECT_FALSE(streams.first().next().next().get("bytes").as_uint());
    EXPECT_EQ(doc.get("cpu").type(), JsonType::Number);
    EXPECT_EQ(doc.get("cpu").as_uint(), 150u);
    EXPECT_TRUE(doc.get("none").is(JsonType::Null));
    EXPECT_EQ(doc.get("empty").size(), 0u);
    EXPECT_FALSE(doc.get("empty").first());
    EXPECT_FALSE(doc.get("list").first());
    EXPECT_FALSE(doc.next());         // the root has no sibling
    EXPECT_FALSE(streams.get("id"));  // an array has no members
}

TEST(JsonReader, FirstOfRepeatedNames) {
    JsonValue doc = parsed(R"({"a":1,"a":2})");
    EXPECT_EQ(doc.get("a").as_uint(), 1u);
}

TEST(JsonReader, Integers) {
    EXPECT_EQ(parsed("18446744073709551615").as_uint(), UINT64_MAX);
    EXPECT_FALSE(parsed("18446744073709551616").as_uint());
    EXPECT_EQ(parsed("-9223372036854775808").as_int(), INT64_MIN);
    EXPECT_FALSE(parsed("-9223372036854775809").as_int());
    EXPECT_EQ(parsed("9223372036854775807").as_int(), INT64_MAX);
    EXPECT_FALSE(parsed("9223372036854775808").as_int());
    EXPECT_EQ(parsed("-1").as_int(), -1);
    EXPECT_FALSE(parsed("-1").as_uint());
    EXPECT_EQ(parsed("-0").as_uint(), 0u);
    EXPECT_FALSE(parsed("\"1\"").as_uint());
}

TEST(JsonReader, WholeNumbersWrittenWithAnExponentOrAFraction) {
    EXPECT_EQ(parsed("1e3").as_uint(), 1000u);
    EXPECT_EQ(parsed("1E+15").as_uint(), 1000000000000000u);  // as cJSON writes 10^15
    EXPECT_EQ(parsed("1.2345678901234567e+16").as_uint(), 12345678901234567u);
    EXPECT_EQ(parsed("1.0").as_int(), 1);
    EXPECT_EQ(parsed("-2.50e1").as_int(), -25);
    EXPECT_EQ(parsed("1500e-2").as_uint(), 15u);
    EXPECT_EQ(parsed("0e400000").as_uint(), 0u);
    EXPECT_EQ(parsed("0.000e-7").as_uint(), 0u);
    EXPECT_EQ(parsed("1.8446744073709551615e19").as_uint(), UINT64_MAX);
    EXPECT_FALSE(parsed("1.8446744073709551616e19").as_uint());
    EXPECT_FALSE(parsed("1.5").as_uint());
    EXPECT_FALSE(parsed("15e-1").as_uint());
    EXPECT_FALSE(parsed("1e-400000").as_uint());
    EXPECT_FALSE(parsed("1e20").as_uint());
    EXPECT_FALSE(parsed("1e99999999999999999999").as_uint());
    EXPECT_FALSE(parsed("-1e2").as_uint());
    EXPECT_EQ(parsed("-1e2").as_int(), -100);
}

TEST(JsonReader, StringsDecoded) {
    char buffer[64];
    JsonValue v = parsed(R"("a\"b\\c\/d\n\t\u00e9\u20ac\ud83d\ude00")");
    EXPECT_EQ(v.as_string(buffer, sizeof buffer),
              "a\"b\\c/d\n\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    EXPECT_EQ(parsed(R"("\ud83d")").as_string(buffer, sizeof buffer), "\xEF\xBF\xBD");
    EXPECT_EQ(parsed(R"("\ude00x")").as_string(buffer, sizeof buffer), "\xEF\xBF\xBDx");
    EXPECT_EQ(parsed(R"("\ud83dx")").as_string(buffer, sizeof buffer), "\xEF\xBF\xBDx");
    EXPECT_FALSE(parsed(R"("too long for four")").as_string(buffer, 4));
    EXPECT_EQ(parsed(R"("")").as_string(buffer, 0), "");
    // Names are compared decoded.
    EXPECT_EQ(parsed(R"({"ti\u006de":7})").get("time").as_uint(), 7u);
    EXPECT_FALSE(parsed(R"({"tim":7})").get("time"));
    EXPECT_FALSE(parsed(R"({"times":7})").get("time"));
}

TEST(JsonReader, Malformed) {
    for (const char* text : {"",
                             " ",
                             "{",
                             "}",
                             "[1,]",
                             "[,1]",
                             "{\"a\"}",
                             "{\"a\":}",
                             "{\"a\":1,}",
                             "{a:1}",
                             "01",
                             "1.",
                             ".5",
                             "1e",
                             "-",
                             "+1",
                             "tru",
                             "nul",
                             "[1 2]",
                             "\"open",
                             "\"\\x\"",
                             "\"\\u12g4\"",
                             "\"tab\there\"",
                             "1 2",
                             "{} x",
                             "[\"a\" : 1]",
                             "NaN",
                             "[1]]"}) {
        EXPECT_FALSE(parse_json(text).ok()) << text;
    }
    std::string with_nul = "{\"a\":1}";
    with_nul.push_back('\0');
    EXPECT_FALSE(parse_json(with_nul).ok());
}

TEST(JsonReader, DepthIsBounded) {
    std::string deep(kMaxJsonDepth, '[');
    deep += std::string(kMaxJsonDepth, ']');
    EXPECT_TRUE(parse_json(deep).ok());
    std::string deeper(kMaxJsonDepth + 1, '[');
    deeper += std::string(kMaxJsonDepth + 1, ']');
    EXPECT_EQ(parse_json(deeper).error(), Error::Malformed);
    // Not a stack overflow however deep it claims to go.
    EXPECT_FALSE(parse_json(std::string(1 << 20, '[')).ok());
}

TEST(JsonReader, EveryPrefixOfADocumentIsRefused) {
    std::string text = R"({"a":[1,-2.5e+3,"x\u0041",true,false,null,{"b":{}}],"c":"d"})";
    ASSERT_TRUE(parse_json(text).ok());
    for (size_t n = 0; n < text.size(); ++n)
        EXPECT_FALSE(parse_json(std::string_view(text).substr(0, n)).ok()) << n;
}

TEST(JsonReader, ReadsWhatTheWriterWrites) {
    char buffer[256];
    JsonWriter json(buffer, sizeof buffer);
    json.begin_object()
        .member("name", "q\"uote\\ \x01")
        .member("big", uint64_t{18446744073709551615ULL})
        .member("neg", int64_t{-42});
    json.key("end").fixed(3000412, 6);
    json.key("list").begin_array().value(true).begin_object().end_object().end_array();
    json.end_object();
    ASSERT_TRUE(json.complete());
    JsonValue doc = parsed(json.text());
    char text[32];
    EXPECT_EQ(doc.get("name").as_string(text, sizeof text), "q\"uote\\ \x01");
    EXPECT_EQ(doc.get("big").as_uint(), UINT64_MAX);
    EXPECT_EQ(doc.get("neg").as_int(), -42);
    EXPECT_EQ(doc.get("end").text(), "3.000412");
    EXPECT_EQ(doc.get("list").size(), 2u);
}

}  // namespace
}  // namespace coronet
