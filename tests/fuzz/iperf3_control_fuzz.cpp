// libFuzzer target for what an iperf3 client sends on the control connection: the cookie and a
// JSON message framed as the server frames it (whole, and growing in random pieces, which must
// agree), the message read as parameters and as results, and every value of the JSON walked
// with each accessor. The JSON reader must never read outside the document, and whatever it
// accepts must hold up (a parameter within iperf3's limits, a string that fits where it says).
//
// Input layout: bytes 0-3 seed the split points; the rest is what a client sent (a cookie and a
// message, or JSON alone).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apps/iperf3/protocol.hpp"
#include "lib/json_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace coronet;
using namespace coronet::iperf3;
using coronet::fuzz::Arrival;
using coronet::fuzz::Splitter;

namespace {

constexpr size_t kSeedBytes = 4;
constexpr size_t kMaxMessage = 2048;  // small, so that the limit is reached too

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Every value under `value`, each accessor tried; returns how many values there were.
size_t walk(JsonValue value, std::string_view document, size_t depth) {
    CHECK(depth <= kMaxJsonDepth + 1);
    CHECK(inside(value.text(), document));
    char buffer[64];
    if (auto text = value.as_string(buffer, sizeof buffer)) CHECK(text->size() <= sizeof buffer);
    (void)value.as_bool();
    (void)value.as_int();
    (void)value.as_uint();
    (void)value.get("time");
    size_t count = 1, children = 0;
    for (JsonValue child = value.first(); child; child = child.next()) {
        count += walk(child, document, depth + 1);
        ++children;
    }
    CHECK(children == value.size());
    CHECK(children == 0 || value.is(JsonType::Array) || value.is(JsonType::Object));
    return count;
}

// The cookie, then one message, as the server reads them: Done/Error and what they found,
// identical however the bytes arrive.
std::string frame(std::string_view input, Splitter* splitter) {
    Arrival arrival(input);
    size_t got = 0;
    std::string log;
    auto grow = [&] {
        size_t n = splitter ? splitter->next() : input.size();
        got = got + n < input.size() ? got + n : input.size();
        return arrival.first(got);
    };
    std::string_view cookie;
    std::string_view buffer = grow();
    ParseStatus status;
    while ((status = parse_cookie(buffer, cookie)) == ParseStatus::NeedMore && got < input.size())
        buffer = grow();
    log += std::to_string(static_cast<int>(status));
    if (status != ParseStatus::Done) return log;
    CHECK(cookie.size() == kCookieSize - 1 && inside(cookie, buffer));
    std::string_view body;
    while ((status = parse_message(buffer.substr(kCookieSize), body, kMaxMessage)) ==
               ParseStatus::NeedMore &&
           got < input.size())
        buffer = grow();
    log += std::to_string(static_cast<int>(status));
    if (status == ParseStatus::Done) {
        CHECK(!body.empty() && body.size() <= kMaxMessage && inside(body, buffer));
        log += std::to_string(body.size());
    }
    return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kSeedBytes) return 0;
    uint32_t seed;
    std::memcpy(&seed, data, sizeof seed);
    std::string_view input(reinterpret_cast<const char*>(data) + kSeedBytes, size - kSeedBytes);

    std::string whole = frame(input, nullptr);
    Splitter splitter{seed | 1, 16};
    CHECK(frame(input, &splitter) == whole);

    // The message's body, or the whole input when it is not framed as one: parameters,
    // results, any JSON.
    std::string_view cookie, body = input;
    if (parse_cookie(input, cookie) == ParseStatus::Done &&
        parse_message(input.substr(kCookieSize), body, kMaxMessage) != ParseStatus::Done)
        body = input;
    Arrival arrival(body);
    std::string_view document = arrival.first(body.size());
    Refusal refusal;
    if (auto p = parse_parameters(document, refusal)) {
        CHECK(p->parallel >= 1 && p->parallel <= kMaxParallel);
        CHECK(p->block_size >= 1 && p->block_size <= kMaxBlockSize);
        CHECK(p->duration_s <= kMaxDurationSeconds && p->omit_s <= kMaxOmitSeconds);
        CHECK(p->protocol == Protocol::Tcp && p->stream_count() <= kMaxStreams);
    } else {
        CHECK(refusal.reason[0] != '\0');
    }
    if (auto results = parse_client_results(document)) CHECK(results->streams <= document.size());
    if (auto json = parse_json(document)) walk(*json, document, 0);
    return 0;
}
