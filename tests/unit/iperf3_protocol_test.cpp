// iperf3's wire pieces: the cookie and message framing however the bytes are split, the
// parameters iperf3 3.12's client sends (and the refusals a client sees), the results read back
// as its get_results() reads them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/iperf3/protocol.hpp"
#include "incremental_parse.hpp"
#include "lib/json_reader.hpp"

namespace coronet::iperf3 {
namespace {

const std::string kCookie = "abcdefghijklmnopqrstuvwxyz2345674567";  // as iperf3 makes them

std::string with_nul(const std::string& cookie) { return cookie + std::string(1, '\0'); }

std::string message(std::string_view json) {
    char header[kMessageHeaderSize];
    encode_message_header(static_cast<uint32_t>(json.size()), header);
    return std::string(header, sizeof header) + std::string(json);
}

// The cookie parser as incremental_parse.hpp feeds it.
struct CookieSession {
    std::string_view cookie;
    ParseStatus feed(std::string_view buffer) { return parse_cookie(buffer, cookie); }
    std::string outcome(ParseStatus status, std::string_view buffer) const {
        return std::to_string(static_cast<int>(status)) + " " +
               (status == ParseStatus::Done ? splits::where(cookie, buffer, buffer.size()) : "");
    }
};

struct MessageSession {
    std::string_view body;
    ParseStatus feed(std::string_view buffer) { return parse_message(buffer, body, 64); }
    std::string outcome(ParseStatus status, std::string_view buffer) const {
        return std::to_string(static_cast<int>(status)) + " " +
               (status == ParseStatus::Done ? splits::where(body, buffer, buffer.size()) : "");
    }
};

TEST(Iperf3Cookie, WholeAndSplit) {
    ASSERT_EQ(kCookie.size(), kCookieSize - 1);
    std::string input = with_nul(kCookie) + "data that follows";
    auto outcome = splits::expect_alike_when_split(input, [] { return CookieSession{}; });
    EXPECT_EQ(outcome, "1 0+36");
}

TEST(Iperf3Cookie, GarbageIsRefusedAsItArrives) {
    std::string_view cookie;
    EXPECT_EQ(parse_cookie("", cookie), ParseStatus::NeedMore);
    EXPECT_EQ(parse_cookie("abc", cookie), ParseStatus::NeedMore);
    EXPECT_EQ(parse_cookie("GET / HTTP/1.1", cookie), ParseStatus::Error);  // a space
    EXPECT_EQ(parse_cookie("abc\r", cookie), ParseStatus::Error);
    EXPECT_EQ(parse_cookie(std::string_view("ab\0", 3), cookie), ParseStatus::Error);
    EXPECT_EQ(parse_cookie(kCookie + "x", cookie), ParseStatus::Error);  // no NUL at the end
    EXPECT_EQ(parse_cookie(std::string(1, '\xFF'), cookie), ParseStatus::Error);
    auto outcome =
        splits::expect_alike_when_split("PING\r\n" + kCookie, [] { return CookieSession{}; });
    EXPECT_EQ(outcome, "2 ");
}

TEST(Iperf3Message, WholeAndSplit) {
    std::string json = R"({"tcp":true,"time":3})";
    std::string input = message(json) + "\x04";  // a state byte follows
    auto outcome = splits::expect_alike_when_split(input, [] { return MessageSession{}; });
    EXPECT_EQ(outcome, "1 4+" + std::to_string(json.size()));
}

TEST(Iperf3Message, LengthsOverTheLimitOrZeroAreRefusedAtOnce) {
    std::string_view body;
    EXPECT_EQ(parse_message(std::string("\0\0\0", 3), body), ParseStatus::NeedMore);
    EXPECT_EQ(parse_message(std::string("\0\0\0\0", 4), body), ParseStatus::Error);
    EXPECT_EQ(parse_message("\xFF\xFF\xFF\xFF", body), ParseStatus::Error);
    EXPECT_EQ(parse_message(std::string("\0\1\0\1", 4), body), ParseStatus::Error);     // 65537
    EXPECT_EQ(parse_message(std::string("\0\1\0\0", 4), body), ParseStatus::NeedMore);  // 65536
    auto outcome = splits::expect_alike_when_split(std::string("\0\0\0\x41xyz", 7),
                                                   [] { return MessageSession{}; });
    EXPECT_EQ(outcome, "2 ");  // 65 > the test's limit of 64
}

TEST(Iperf3Message, HeaderIsBigEndian) {
    char header[kMessageHeaderSize];
    encode_message_header(0x01020304, header);
    EXPECT_EQ(std::string(header, 4), "\x01\x02\x03\x04");
}

// What iperf3 3.12's client sends for `iperf3 -c host` (send_parameters()).
constexpr const char* kDefaultParameters =
    R"({"tcp":true,"omit":0,"time":10,"num":0,"blockcount":0,"parallel":1,"len":131072,)"
    R"("pacing_timer":1000,"client_version":"3.12"})";

TEST(Iperf3Parameters, ClientDefaults) {
    Refusal refusal;
    auto p = parse_parameters(kDefaultParameters, refusal);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->protocol, Protocol::Tcp);
    EXPECT_EQ(p->direction, Direction::ToServer);
    EXPECT_EQ(p->parallel, 1u);
    EXPECT_EQ(p->duration_s, 10u);
    EXPECT_EQ(p->bytes, 0u);
    EXPECT_EQ(p->block_size, 131072u);
    EXPECT_EQ(p->rate_bps, 0u);
    EXPECT_FALSE(p->get_server_output);
    EXPECT_EQ(p->stream_count(), 1u);
}

TEST(Iperf3Parameters, ReverseParallelBytesAndMore) {
    Refusal refusal;
    auto p = parse_parameters(
        R"({"tcp":true,"omit":2,"time":0,"num":1048576,"blockcount":0,"parallel":8,)"
        R"("reverse":true,"len":1000,"bandwidth":1000000,"get_server_output":1,)"
        R"("title":"x","extra_data":"y","congestion":"cubic","MSS":1400,"nodelay":true,)"
        R"("window":65536,"TOS":16,"authtoken":"ignored"})",
        refusal);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->direction, Direction::ToClient);
    EXPECT_EQ(p->parallel, 8u);
    EXPECT_EQ(p->omit_s, 2u);
    EXPECT_EQ(p->duration_s, 0u);
    EXPECT_EQ(p->bytes, 1048576u);
    EXPECT_EQ(p->block_size, 1000u);
    EXPECT_EQ(p->rate_bps, 1000000u);
    EXPECT_TRUE(p->get_server_output);
    EXPECT_EQ(p->stream_count(), 8u);

    auto both =
        parse_parameters(R"({"tcp":true,"parallel":3,"bidirectional":true,"len":0})", refusal);
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both->direction, Direction::Both);
    EXPECT_EQ(both->stream_count(), 6u);
    EXPECT_EQ(both->block_size, kDefaultBlockSize);  // 0: the default
}

struct Refused {
    const char* json;
    ClientError code;
};

TEST(Iperf3Parameters, RefusalsNameIperfErrors) {
    for (const Refused& r : std::vector<Refused>{
             {R"({"udp":true,"parallel":1,"bandwidth":1048576})", ClientError::NotImplemented},
             {R"({"sctp":true})", ClientError::NotImplemented},
             {R"({"tcp":true,"parallel":129})", ClientError::NumStreams},
             {R"({"tcp":true,"parallel":0})", ClientError::ReceiveParameters},
             {R"({"tcp":true,"len":1048577})", ClientError::BlockSize},
             {R"({"tcp":true,"time":86401})", ClientError::Duration},
             {R"({"tcp":true,"omit":86401})", ClientError::Omit},
             {R"({"tcp":true,"time":-1})", ClientError::ReceiveParameters},
             {R"({"tcp":true,"time":"10"})", ClientError::ReceiveParameters},
             {R"({"tcp":true,"parallel":1.5})", ClientError::ReceiveParameters},
             {R"({"tcp":true,"parallel":99999999999999999999})", ClientError::ReceiveParameters},
             {R"({"reverse":true,"bidirectional":true})", ClientError::ReceiveParameters},
             {R"([1,2])", ClientError::ReceiveParameters},
             {R"({"tcp":true)", ClientError::ReceiveParameters},
             {"garbage", ClientError::ReceiveParameters},
         }) {
        Refusal refusal;
        auto p = parse_parameters(r.json, refusal);
        EXPECT_FALSE(p.ok()) << r.json;
        EXPECT_EQ(refusal.code, r.code) << r.json;
        EXPECT_STRNE(refusal.reason, "") << r.json;
    }
    Refusal refusal;
    EXPECT_TRUE(
        parse_parameters(R"({"tcp":true,"parallel":128,"len":1048576,"time":86400})", refusal)
            .ok());
}

TEST(Iperf3Results, ReadAsTheClientReadsThem) {
    StreamResult streams[] = {
        {.id = 1, .sender = false, .bytes = 123456789, .duration_us = 3000412},
        {.id = 3, .sender = true, .bytes = 0, .duration_us = 0}};
    ServerResults results{.cpu_percent_milli = 12345,
                          .sends = true,
                          .streams = streams,
                          .stream_count = 2,
                          .server_output = "line \"one\"\n"};
    std::vector<char> buffer(results_capacity(2, results.server_output.size()));
    std::string_view json = write_results(results, buffer.data(), buffer.size());
    ASSERT_FALSE(json.empty());
    auto doc = parse_json(json);
    ASSERT_TRUE(doc.ok()) << json;
    // get_results() refuses results without these.
    for (const char* name :
         {"cpu_util_total", "cpu_util_user", "cpu_util_system", "sender_has_retransmits"})
        EXPECT_TRUE(doc->get(name).is(JsonType::Number)) << name;
    EXPECT_EQ(doc->get("cpu_util_total").text(), "12.345");
    EXPECT_EQ(doc->get("sender_has_retransmits").as_int(), 0);
    JsonValue first = doc->get("streams").first();
    for (const char* name :
         {"id", "bytes", "retransmits", "jitter", "errors", "packets", "start_time", "end_time"})
        EXPECT_TRUE(first.get(name).is(JsonType::Number)) << name;
    EXPECT_EQ(first.get("id").as_uint(), 1u);
    EXPECT_EQ(first.get("bytes").as_uint(), 123456789u);
    EXPECT_EQ(first.get("retransmits").as_int(), -1);
    EXPECT_EQ(first.get("end_time").text(), "3.000412");
    EXPECT_EQ(first.next().get("id").as_uint(), 3u);
    EXPECT_EQ(first.next().get("end_time").text(), "0.000000");
    EXPECT_FALSE(first.next().next());
    char text[32];
    EXPECT_EQ(doc->get("server_output_text").as_string(text, sizeof text), "line \"one\"\n");

    results.sends = false;
    results.server_output = {};
    json = write_results(results, buffer.data(), buffer.size());
    doc = parse_json(json);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->get("sender_has_retransmits").as_int(), -1);
    EXPECT_FALSE(doc->get("server_output_text"));
}

TEST(Iperf3Results, TheCapacityHoldsTheLargestResults) {
    std::vector<StreamResult> streams(
        kMaxStreams,
        StreamResult{
            .id = UINT32_MAX, .sender = true, .bytes = UINT64_MAX, .duration_us = UINT64_MAX / 2});
    std::string output(200, '\x01');  // escaped as \u0001: six bytes each
    ServerResults results{.cpu_percent_milli = UINT32_MAX,
                          .sends = true,
                          .streams = streams.data(),
                          .stream_count = streams.size(),
                          .server_output = output};
    size_t capacity = results_capacity(kMaxStreams, output.size());
    EXPECT_LE(capacity, kMaxMessageBytes);
    std::vector<char> buffer(capacity);
    EXPECT_FALSE(write_results(results, buffer.data(), buffer.size()).empty());
    EXPECT_TRUE(write_results(results, buffer.data(), 100).empty());  // too small: nothing
}

TEST(Iperf3Results, ClientResultsAreSummed) {
    // As 3.12's client sends them (its cJSON prints -1 as an unsigned 64-bit number).
    auto client = parse_client_results(
        R"({"cpu_util_total":5.2,"cpu_util_user":0.4,"cpu_util_system":4.8,)"
        R"("sender_has_retransmits":1,"congestion_used":"cubic","streams":[)"
        R"({"id":1,"bytes":1000,"retransmits":3,"jitter":0,"errors":0,"packets":0,)"
        R"("start_time":0,"end_time":3.0001},)"
        R"({"id":3,"bytes":500,"retransmits":18446744073709551615,"jitter":0,"errors":0,)"
        R"("packets":0,"start_time":0,"end_time":3.0001}]})");
    ASSERT_TRUE(client.ok());
    EXPECT_EQ(client->streams, 2u);
    EXPECT_EQ(client->bytes, 1500u);
    EXPECT_FALSE(parse_client_results(R"({"cpu_util_total":1})").ok());
    EXPECT_FALSE(parse_client_results(R"({"streams":[{"id":1}]})").ok());
    EXPECT_FALSE(parse_client_results(R"({"streams":[)").ok());
    EXPECT_TRUE(parse_client_results(R"({"streams":[]})").ok());
}

TEST(Iperf3Streams, IdsSkipTwo) {
    EXPECT_EQ(stream_id(0), 1u);
    EXPECT_EQ(stream_id(1), 3u);
    EXPECT_EQ(stream_id(7), 9u);
}

TEST(Iperf3States, Names) {
    EXPECT_STREQ(state_name(State::TestEnd), "TEST_END");
    EXPECT_STREQ(state_name(State::AccessDenied), "ACCESS_DENIED");
    EXPECT_STREQ(state_name(static_cast<State>(99)), "unknown");
    EXPECT_EQ(static_cast<int8_t>(State::ServerError), -2);
    EXPECT_EQ(static_cast<uint8_t>(State::AccessDenied), 0xFF);
}

}  // namespace
}  // namespace coronet::iperf3
