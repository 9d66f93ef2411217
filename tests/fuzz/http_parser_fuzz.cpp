// libFuzzer target for the HTTP/1.x request parser: every input is parsed whole and as bytes
// arriving in random pieces (which must agree), then its body decoded the same two ways, with
// the parser's invariants checked throughout. ASan catches reads past the bytes received so far.
//
// Input layout: byte 0 picks the limits (defaults or small ones, so the fuzzer reaches every
// limit cheaply) and the largest piece size; bytes 1-4 seed the split points; the rest is the
// bytes a client sent.
#include "apps/http/parser.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <sanitizer/asan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace coronet::http;
using coronet::fuzz::Arrival;
using coronet::fuzz::Splitter;

namespace {

constexpr size_t kHeaderBytes = 5;

bool inside(std::string_view view, const char* base, size_t size) {
    return view.empty() || (view.data() >= base && view.data() + view.size() <= base + size);
}

// A view as an offset from `base` (so parses of copies compare), -1 when empty.
long offset(std::string_view view, const char* base) {
    return view.empty() ? -1 : view.data() - base;
}

struct HeadResult {
    ParseStatus status = ParseStatus::NeedMore;
    ParseError error;
    size_t head_length = 0;
    Request request;
};

void check_head(const HeadResult& r, const char* base, size_t size, const Limits& limits) {
    if (r.status == ParseStatus::Error) {
        uint16_t s = r.error.status;
        CHECK(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
        CHECK(r.error.reason != nullptr && r.error.reason[0] != '\0');
        return;
    }
    if (r.status != ParseStatus::Done) return;
    const Request& q = r.request;
    CHECK(r.head_length > 0 && r.head_length <= size);
    CHECK(r.head_length <= limits.header_bytes);
    CHECK(base[r.head_length - 1] == '\n');
    size_t n = r.head_length;
    CHECK(inside(q.method_text, base, n) && inside(q.target, base, n) && inside(q.path, base, n));
    CHECK(inside(q.query, base, n) && inside(q.host, base, n));
    CHECK(!q.method_text.empty() && !q.target.empty() && !q.path.empty());
    CHECK(q.header_count <= limits.header_count && q.header_count <= kMaxHeaderCount);
    for (size_t i = 0; i < q.header_count; ++i) {
        CHECK(!q.headers[i].name.empty());
        CHECK(inside(q.headers[i].name, base, n) && inside(q.headers[i].value, base, n));
    }
    if (q.version == Version::Http11) CHECK(q.header("Host").data() != nullptr);
    if (q.framing == BodyFraming::ContentLength)
        CHECK(q.content_length > 0 && q.content_length <= limits.body_bytes);
    if (q.framing != BodyFraming::ContentLength) CHECK(q.content_length == 0);
    if (q.method != Method::Other) CHECK(q.method_text == method_name(q.method));
}

void check_same_head(const HeadResult& a, const char* a_base, const HeadResult& b,
                     const char* b_base) {
    CHECK(a.status == b.status);
    if (a.status == ParseStatus::Error) {
        CHECK(a.error.status == b.error.status);
        CHECK(std::strcmp(a.error.reason, b.error.reason) == 0);
    }
    if (a.status != ParseStatus::Done) return;
    const Request& p = a.request;
    const Request& q = b.request;
    CHECK(a.head_length == b.head_length);
    CHECK(p.method == q.method && p.version == q.version && p.framing == q.framing);
    CHECK(p.content_length == q.content_length && p.keep_alive == q.keep_alive);
    CHECK(p.expect_continue == q.expect_continue && p.header_count == q.header_count);
    for (auto field : {&Request::method_text, &Request::target, &Request::path, &Request::query,
                       &Request::host}) {
        CHECK(offset(p.*field, a_base) == offset(q.*field, b_base));
        CHECK((p.*field).size() == (q.*field).size());
    }
    for (size_t i = 0; i < p.header_count; ++i) {
        CHECK(offset(p.headers[i].name, a_base) == offset(q.headers[i].name, b_base));
        CHECK(offset(p.headers[i].value, a_base) == offset(q.headers[i].value, b_base));
        CHECK(p.headers[i].name.size() == q.headers[i].name.size());
        CHECK(p.headers[i].value.size() == q.headers[i].value.size());
    }
}

struct BodyResult {
    ParseStatus status = ParseStatus::NeedMore;
    uint16_t error = 0;
    std::string body;
    size_t consumed = 0;
};

// Decodes `bytes` arriving in pieces, the way the server's receive loop calls the decoder.
BodyResult decode(const Request& request, const Limits& limits, std::string_view bytes,
                  Splitter* splitter) {
    Arrival arrival(bytes);
    BodyDecoder decoder(request, limits);
    BodyResult result;
    size_t position = 0;
    size_t available = 0;
    for (;;) {
        std::string_view received = arrival.first(available);
        while (position < available) {
            BodyDecoder::Step step;
            std::string_view input = received.substr(position);
            result.status = decoder.decode(input, step);
            if (result.status == ParseStatus::Error) {
                result.error = decoder.error().status;
                CHECK(result.error == 400 || result.error == 413 || result.error == 431);
                CHECK(decoder.decode(input, step) == ParseStatus::Error);  // and stays so
                result.body.clear();
                return result;
            }
            CHECK(step.consumed <= input.size());
            CHECK(inside(step.data, input.data(), step.consumed));
            if (result.status == ParseStatus::NeedMore) CHECK(step.consumed > 0);
            result.body.append(step.data);
            CHECK(decoder.body_bytes() == result.body.size());
            CHECK(decoder.body_bytes() <= limits.body_bytes);
            position += step.consumed;
            if (result.status == ParseStatus::Done) break;
        }
        if (decoder.done()) {
            result.status = ParseStatus::Done;
            result.consumed = position;
            if (request.framing == BodyFraming::ContentLength)
                CHECK(result.body.size() == request.content_length);
            if (request.framing == BodyFraming::None) CHECK(result.body.empty() && position == 0);
            return result;
        }
        if (available == bytes.size()) return result;
        available = splitter ? available + splitter->next() : bytes.size();
        if (available > bytes.size()) available = bytes.size();
    }
}

Limits pick_limits(uint8_t choice) {
    Limits limits;
    if (choice & 1) {  // small: every limit is within reach of short inputs
        limits.request_line = 48;
        limits.header_bytes = 160;
        limits.header_count = 4;
        limits.body_bytes = 64;
    }
    return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderBytes) return 0;
    Limits limits = pick_limits(data[0]);
    uint32_t seed;
    std::memcpy(&seed, data + 1, sizeof seed);
    Splitter splitter{seed | 1, size_t{1} << ((data[0] >> 1) % 8)};  // pieces of 1..128 bytes
    std::string_view bytes(reinterpret_cast<const char*>(data) + kHeaderBytes, size - kHeaderBytes);

    // Whole, in the fuzzer's own exactly-sized buffer.
    HeadParser whole_parser(limits);
    HeadResult whole;
    whole.status = whole_parser.parse(bytes, whole.request);
    whole.error = whole_parser.error();
    whole.head_length = whole_parser.head_length();
    check_head(whole, bytes.data(), bytes.size(), limits);

    // Arriving in pieces.
    Arrival arrival(bytes);
    HeadParser split_parser(limits);
    HeadResult split;
    size_t received = 0;
    while (split.status == ParseStatus::NeedMore && received < bytes.size()) {
        received += splitter.next();
        if (received > bytes.size()) received = bytes.size();
        split.status = split_parser.parse(arrival.first(received), split.request);
    }
    split.error = split_parser.error();
    split.head_length = split_parser.head_length();
    check_head(split, arrival.data(), received, limits);
    check_same_head(whole, bytes.data(), split, arrival.data());
    if (split.status != ParseStatus::NeedMore) {  // a finished parser stays finished
        Request ignored;
        CHECK(split_parser.parse(arrival.first(received), ignored) == split.status);
    }

    // Moving: every call sees a fresh, exactly-sized copy, as if the caller's buffer had been
    // reallocated; views kept into the old copy would be a use-after-free. At most ~16 calls,
    // as each one rescans from the start.
    HeadParser moving_parser(limits);
    HeadResult moving;
    std::unique_ptr<std::vector<char>> copy;
    size_t copied = 0;
    while (moving.status == ParseStatus::NeedMore && copied < bytes.size()) {
        size_t piece = splitter.next();
        copied += piece > bytes.size() / 16 ? piece : bytes.size() / 16 + 1;
        if (copied > bytes.size()) copied = bytes.size();
        auto next = std::make_unique<std::vector<char>>(bytes.begin(), bytes.begin() + copied);
        moving.status = moving_parser.parse({next->data(), copied}, moving.request);
        copy = std::move(next);  // the previous copy is freed only now: a different address
    }
    moving.error = moving_parser.error();
    moving.head_length = moving_parser.head_length();
    if (copy) check_same_head(whole, bytes.data(), moving, copy->data());

    if (whole.status != ParseStatus::Done) return 0;
    // The head alone is enough to parse it.
    HeadParser head_only(limits);
    HeadResult again;
    again.status = head_only.parse(bytes.substr(0, whole.head_length), again.request);
    again.head_length = head_only.head_length();
    check_same_head(whole, bytes.data(), again, bytes.data());

    std::string_view rest = bytes.substr(whole.head_length);
    BodyResult body_whole = decode(whole.request, limits, rest, nullptr);
    BodyResult body_split = decode(whole.request, limits, rest, &splitter);
    CHECK(body_whole.status == body_split.status);
    CHECK(body_whole.error == body_split.error);
    CHECK(body_whole.body == body_split.body);
    CHECK(body_whole.consumed == body_split.consumed);
    return 0;
}
