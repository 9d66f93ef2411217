// libFuzzer target for the HTTP/1.x parser, requests (the server's) and responses (a client's or
// proxy's): every input is parsed whole and as bytes arriving in random pieces (which must
// agree), then its body decoded the same two ways, with the parser's invariants checked
// throughout. ASan catches reads past the bytes received so far.
//
// Input layout: byte 0 picks the limits (bit 0: small ones, so the fuzzer reaches every limit
// cheaply; bit 7: no body limit), the largest piece size (bits 1-3) and the mode (bit 4: a
// response, answering the request method of bits 5-6); bytes 1-4 seed the split points; the
// rest is the bytes a client (or a server) sent.
#include "apps/http/parser.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <sanitizer/asan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

using namespace coronet::http;
using coronet::fuzz::Arrival;
using coronet::fuzz::Splitter;

namespace {

constexpr size_t kHeaderBytes = 5;
constexpr uint8_t kSmallLimits = 1 << 0;
constexpr uint8_t kResponseMode = 1 << 4;
constexpr uint8_t kNoLimitOnBodies = 1 << 7;
// The methods whose responses are framed differently: HEAD's have no body, CONNECT's 2xx none.
constexpr Method kRequestMethods[] = {Method::Get, Method::Head, Method::Connect, Method::Post};
// Interim (1xx) heads parsed before the final one, each as thoroughly as the first.
constexpr int kMaxInterimHeads = 3;

bool inside(std::string_view view, const char* base, size_t size) {
    return view.empty() || (view.data() >= base && view.data() + view.size() <= base + size);
}

// A view as an offset from `base` (so parses of copies compare), -1 when empty.
long offset(std::string_view view, const char* base) {
    return view.empty() ? -1 : view.data() - base;
}

bool same_view(std::string_view a, const char* a_base, std::string_view b, const char* b_base) {
    return offset(a, a_base) == offset(b, b_base) && a.size() == b.size();
}

template <typename Head>
struct HeadResult {
    ParseStatus status = ParseStatus::NeedMore;
    ParseError error;
    size_t head_length = 0;
    Head head;
};

ParseStatus parse_head(HeadParser& parser, std::string_view bytes, Request& request, Method) {
    return parser.parse(bytes, request);
}

ParseStatus parse_head(HeadParser& parser, std::string_view bytes, ResponseHead& response,
                       Method request_method) {
    return parser.parse(bytes, response, request_method);
}

// What holds for any head that parsed (or failed to), then what holds for its kind.
template <typename Head>
bool check_common(const HeadResult<Head>& r, const char* base, size_t size, const Limits& limits) {
    if (r.status == ParseStatus::Error) {
        uint16_t s = r.error.status;
        if constexpr (std::is_same_v<Head, ResponseHead>) CHECK(s == 502);
        else CHECK(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
        CHECK(r.error.reason != nullptr && r.error.reason[0] != '\0');
        return false;
    }
    if (r.status != ParseStatus::Done) return false;
    const Head& h = r.head;
    CHECK(r.head_length > 0 && r.head_length <= size);
    CHECK(r.head_length <= limits.header_bytes);
    CHECK(base[r.head_length - 1] == '\n');
    CHECK(h.header_count <= limits.header_count && h.header_count <= kMaxHeaderCount);
    for (size_t i = 0; i < h.header_count; ++i) {
        CHECK(!h.headers[i].name.empty());
        CHECK(inside(h.headers[i].name, base, r.head_length));
        CHECK(inside(h.headers[i].value, base, r.head_length));
    }
    if (h.framing == BodyFraming::ContentLength) CHECK(h.content_length > 0);
    return true;
}

void check_head(const HeadResult<Request>& r, const char* base, size_t size, const Limits& limits,
                Method) {
    if (!check_common(r, base, size, limits)) return;
    const Request& q = r.head;
    size_t n = r.head_length;
    CHECK(inside(q.method_text, base, n) && inside(q.target, base, n) && inside(q.path, base, n));
    CHECK(inside(q.query, base, n) && inside(q.host, base, n));
    CHECK(!q.method_text.empty() && !q.target.empty() && !q.path.empty());
    if (q.version == Version::Http11) CHECK(q.header("Host").data() != nullptr);
    CHECK(q.framing != BodyFraming::UntilClose);
    if (q.framing == BodyFraming::ContentLength) CHECK(q.content_length <= limits.body_bytes);
    if (q.framing != BodyFraming::ContentLength) CHECK(q.content_length == 0);
    if (q.method != Method::Other) CHECK(q.method_text == method_name(q.method));
}

void check_head(const HeadResult<ResponseHead>& r, const char* base, size_t size,
                const Limits& limits, Method request_method) {
    if (!check_common(r, base, size, limits)) return;
    const ResponseHead& q = r.head;
    CHECK(q.status >= 100 && q.status <= 999);
    CHECK(inside(q.reason, base, r.head_length));
    bool no_body = q.status < 200 || q.status == 204 || q.status == 304 ||
                   request_method == Method::Head ||
                   (request_method == Method::Connect && q.status < 300);
    if (no_body) CHECK(q.framing == BodyFraming::None && !q.transfer_coded);
    if (q.framing == BodyFraming::UntilClose) CHECK(!q.keep_alive);
    if (q.framing == BodyFraming::Chunked || q.transfer_coded)
        CHECK(q.header("Transfer-Encoding").data() != nullptr);
    if (q.transfer_coded) CHECK(q.framing != BodyFraming::None);
    // Transfer-Encoding and Content-Length never both.
    CHECK(q.header("Transfer-Encoding").data() == nullptr ||
          q.header("Content-Length").data() == nullptr);
    if (q.version == Version::Http10) {
        CHECK(q.header("Transfer-Encoding").data() == nullptr);
        if (q.keep_alive) CHECK(q.header("Connection").data() != nullptr);
    }
    if (q.interim()) CHECK(q.framing == BodyFraming::None);
}

void check_same(const Request& p, const char* a_base, const Request& q, const char* b_base) {
    CHECK(p.method == q.method && p.expect_continue == q.expect_continue);
    for (auto field :
         {&Request::method_text, &Request::target, &Request::path, &Request::query, &Request::host})
        CHECK(same_view(p.*field, a_base, q.*field, b_base));
}

void check_same(const ResponseHead& p, const char* a_base, const ResponseHead& q,
                const char* b_base) {
    CHECK(p.status == q.status && p.transfer_coded == q.transfer_coded);
    CHECK(same_view(p.reason, a_base, q.reason, b_base));
}

template <typename Head>
void check_same_head(const HeadResult<Head>& a, const char* a_base, const HeadResult<Head>& b,
                     const char* b_base) {
    CHECK(a.status == b.status);
    if (a.status == ParseStatus::Error) {
        CHECK(a.error.status == b.error.status);
        CHECK(std::strcmp(a.error.reason, b.error.reason) == 0);
    }
    if (a.status != ParseStatus::Done) return;
    const Head& p = a.head;
    const Head& q = b.head;
    CHECK(a.head_length == b.head_length);
    CHECK(p.version == q.version && p.framing == q.framing);
    CHECK(p.content_length == q.content_length && p.keep_alive == q.keep_alive);
    CHECK(p.header_count == q.header_count);
    for (size_t i = 0; i < p.header_count; ++i) {
        CHECK(same_view(p.headers[i].name, a_base, q.headers[i].name, b_base));
        CHECK(same_view(p.headers[i].value, a_base, q.headers[i].value, b_base));
    }
    check_same(p, a_base, q, b_base);
}

struct BodyResult {
    ParseStatus status = ParseStatus::NeedMore;
    uint16_t error = 0;
    std::string body;
    size_t consumed = 0;
};

void check_body_error(uint16_t status, bool response) {
    if (response) CHECK(status == 502);
    else CHECK(status == 400 || status == 413 || status == 431);
}

// Decodes `bytes` arriving in pieces, the way the server's (or a client's) receive loop calls
// the decoder; after the last byte the peer closes the connection (finish()).
template <typename Head>
BodyResult decode(const Head& head, const Limits& limits, std::string_view bytes,
                  Splitter* splitter) {
    constexpr bool kResponse = std::is_same_v<Head, ResponseHead>;
    Arrival arrival(bytes);
    BodyDecoder decoder(head, limits);
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
                check_body_error(result.error, kResponse);
                CHECK(decoder.decode(input, step) == ParseStatus::Error);  // and stays so
                CHECK(decoder.finish() == ParseStatus::Error);
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
            CHECK(head.framing != BodyFraming::UntilClose);  // only the close ends those
            if (head.framing == BodyFraming::ContentLength)
                CHECK(result.body.size() == head.content_length);
            if (head.framing == BodyFraming::None) CHECK(result.body.empty() && position == 0);
            CHECK(decoder.finish() == ParseStatus::Done);
            return result;
        }
        if (available == bytes.size()) break;
        available = splitter ? available + splitter->next() : bytes.size();
        if (available > bytes.size()) available = bytes.size();
    }
    // Every byte was body and the body is not done: the close completes it or cuts it short.
    CHECK(position == bytes.size());
    result.status = decoder.finish();
    if (result.status == ParseStatus::Error) {
        result.error = decoder.error().status;
        check_body_error(result.error, kResponse);
        CHECK(head.framing == BodyFraming::ContentLength || head.framing == BodyFraming::Chunked);
        result.body.clear();
    } else {
        CHECK(result.status == ParseStatus::Done && decoder.done());
        CHECK(head.framing == BodyFraming::UntilClose && result.body == bytes);
        result.consumed = position;
    }
    return result;
}

// Parses one head from `bytes` four ways (whole, arriving in pieces, in a moving buffer, from
// the head alone), then what follows it: its body, or after an interim response the next head.
template <typename Head>
void fuzz_message(std::string_view bytes, const Limits& limits, Splitter& splitter,
                  Method request_method, int interim_heads) {
    // Whole, in the fuzzer's own exactly-sized buffer.
    HeadParser whole_parser(limits);
    HeadResult<Head> whole;
    whole.status = parse_head(whole_parser, bytes, whole.head, request_method);
    whole.error = whole_parser.error();
    whole.head_length = whole_parser.head_length();
    check_head(whole, bytes.data(), bytes.size(), limits, request_method);

    // Arriving in pieces.
    Arrival arrival(bytes);
    HeadParser split_parser(limits);
    HeadResult<Head> split;
    size_t received = 0;
    while (split.status == ParseStatus::NeedMore && received < bytes.size()) {
        received += splitter.next();
        if (received > bytes.size()) received = bytes.size();
        split.status =
            parse_head(split_parser, arrival.first(received), split.head, request_method);
    }
    split.error = split_parser.error();
    split.head_length = split_parser.head_length();
    check_head(split, arrival.data(), received, limits, request_method);
    check_same_head(whole, bytes.data(), split, arrival.data());
    if (split.status != ParseStatus::NeedMore) {  // a finished parser stays finished
        auto ignored = std::make_unique<Head>();
        CHECK(parse_head(split_parser, arrival.first(received), *ignored, request_method) ==
              split.status);
    }

    // Moving: every call sees a fresh, exactly-sized copy, as if the caller's buffer had been
    // reallocated; views kept into the old copy would be a use-after-free. At most ~16 calls,
    // as each one rescans from the start.
    HeadParser moving_parser(limits);
    HeadResult<Head> moving;
    std::unique_ptr<std::vector<char>> copy;
    size_t copied = 0;
    while (moving.status == ParseStatus::NeedMore && copied < bytes.size()) {
        size_t piece = splitter.next();
        copied += piece > bytes.size() / 16 ? piece : bytes.size() / 16 + 1;
        if (copied > bytes.size()) copied = bytes.size();
        auto next = std::make_unique<std::vector<char>>(bytes.begin(), bytes.begin() + copied);
        moving.status =
            parse_head(moving_parser, {next->data(), copied}, moving.head, request_method);
        copy = std::move(next);  // the previous copy is freed only now: a different address
    }
    moving.error = moving_parser.error();
    moving.head_length = moving_parser.head_length();
    if (copy) check_same_head(whole, bytes.data(), moving, copy->data());

    if (whole.status != ParseStatus::Done) return;
    // The head alone is enough to parse it.
    HeadParser head_only(limits);
    HeadResult<Head> again;
    again.status =
        parse_head(head_only, bytes.substr(0, whole.head_length), again.head, request_method);
    again.head_length = head_only.head_length();
    check_same_head(whole, bytes.data(), again, bytes.data());

    std::string_view rest = bytes.substr(whole.head_length);
    if constexpr (std::is_same_v<Head, ResponseHead>) {
        // A client skips an interim response and reads the next head where it ended.
        if (whole.head.interim() && interim_heads < kMaxInterimHeads) {
            fuzz_message<ResponseHead>(rest, limits, splitter, request_method, interim_heads + 1);
            return;
        }
    }
    BodyResult body_whole = decode(whole.head, limits, rest, nullptr);
    BodyResult body_split = decode(whole.head, limits, rest, &splitter);
    CHECK(body_whole.status == body_split.status);
    CHECK(body_whole.error == body_split.error);
    CHECK(body_whole.body == body_split.body);
    CHECK(body_whole.consumed == body_split.consumed);
}

Limits pick_limits(uint8_t choice) {
    Limits limits;
    if (choice & kSmallLimits) {  // every limit is within reach of short inputs
        limits.request_line = 48;
        limits.header_bytes = 160;
        limits.header_count = 4;
        limits.body_bytes = 64;
    }
    if (choice & kNoLimitOnBodies) limits.body_bytes = kNoBodyLimit;
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
    if (data[0] & kResponseMode) {
        Method request_method = kRequestMethods[(data[0] >> 5) & 3];
        fuzz_message<ResponseHead>(bytes, limits, splitter, request_method, 0);
    } else {
        fuzz_message<Request>(bytes, limits, splitter, Method::Other, 0);
    }
    return 0;
}
