// HTTP/1.x response parsing, as a client or proxy does it: HeadParser in response mode and
// BodyDecoder on response bodies, whole, split at every byte and in random pieces (which must
// parse identically), with the framing rules of RFC 9112 6.3 and at and past every limit.
#include "apps/http/parser.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/incremental_parse.hpp"

using namespace coronet::http;
using namespace std::literals;

namespace {

using coronet::splits::where;

// Everything a parse produced, as text.
std::string describe(ParseStatus status, const HeadParser& parser, const ResponseHead& r,
                     std::string_view buffer) {
    if (status == ParseStatus::Error)
        return "error " + std::to_string(parser.error().status) + " " + parser.error().reason;
    if (status == ParseStatus::NeedMore) return "need more";
    size_t n = parser.head_length();
    std::string s =
        "head " + std::to_string(n) + " version " + (r.version == Version::Http11 ? "1.1" : "1.0") +
        " status " + std::to_string(r.status) + " reason " + where(r.reason, buffer, n) +
        " framing " + std::to_string(static_cast<int>(r.framing)) + " length " +
        std::to_string(r.content_length) + " keep-alive " + std::to_string(r.keep_alive) +
        " coded " + std::to_string(r.transfer_coded) + " fields";
    for (size_t i = 0; i < r.header_count; ++i)
        s += " " + where(r.headers[i].name, buffer, n) + "=" + where(r.headers[i].value, buffer, n);
    return s;
}

// The head parser as incremental_parse.hpp feeds it.
struct ResponseSession {
    HeadParser parser;
    ResponseHead head;
    Method method;
    ParseStatus feed(std::string_view buffer) { return parser.parse(buffer, head, method); }
    std::string outcome(ParseStatus status, std::string_view buffer) const {
        return describe(status, parser, head, buffer);
    }
};

struct Parsed {
    std::unique_ptr<std::string> buffer;  // the response's views point into this copy
    ParseStatus status;
    ParseError error;
    size_t head_length = 0;
    ResponseHead response;
};

// Parses `input` whole, and checks that the same bytes arriving one at a time, in random
// pieces, or moved to a new buffer on every call parse to the very same result.
Parsed parse(std::string_view original, Method method = Method::Get, const Limits& limits = {}) {
    HeadParser parser(limits);
    Parsed parsed;
    parsed.buffer = std::make_unique<std::string>(original);
    std::string_view input = *parsed.buffer;
    parsed.status = parser.parse(input, parsed.response, method);
    parsed.error = parser.error();
    parsed.head_length = parser.head_length();
    std::string whole = describe(parsed.status, parser, parsed.response, input);

    // The same bytes one at a time, split in two (short heads), in random pieces, in place and
    // moved to a new buffer on every call: the very same result.
    auto session = [&] { return ResponseSession{HeadParser(limits), {}, method}; };
    EXPECT_EQ(coronet::splits::expect_alike_when_split(
                  input, session, {.every_split = input.size() <= 512, .largest_piece = 64}),
              whole);
    return parsed;
}

Parsed parse_done(std::string_view input, Method method = Method::Get, const Limits& limits = {}) {
    Parsed parsed = parse(input, method, limits);
    EXPECT_EQ(parsed.status, ParseStatus::Done) << input << " error " << parsed.error.reason;
    return parsed;
}

// The reason a response is rejected for; its status is always 502.
std::string error_of(std::string_view input, Method method = Method::Get,
                     const Limits& limits = {}) {
    Parsed parsed = parse(input, method, limits);
    EXPECT_EQ(parsed.status, ParseStatus::Error) << input;
    if (parsed.status != ParseStatus::Error) return "no error";
    EXPECT_EQ(parsed.error.status, 502) << input;
    return parsed.error.reason;
}

// Each of `inputs` is rejected for `reason`.
void expect_errors(std::string_view reason, std::initializer_list<std::string_view> inputs) {
    for (std::string_view input : inputs) EXPECT_EQ(error_of(input), reason) << input;
}

// A 1.1 response head with these header lines.
std::string ok_with(std::string_view fields, std::string_view status_line = "HTTP/1.1 200 OK") {
    return std::string(status_line) + "\r\n" + std::string(fields) + "\r\n";
}

BodyFraming framing_of(std::string_view fields, Method method = Method::Get,
                       std::string_view status_line = "HTTP/1.1 200 OK") {
    return parse_done(ok_with(fields, status_line), method).response.framing;
}

std::string repeat(char c, size_t n) { return std::string(n, c); }

// --- Body decoding helpers ---

struct Decoded {
    ParseStatus status = ParseStatus::NeedMore;
    ParseError error;
    std::string body;
    size_t consumed = 0;  // bytes of the input that belonged to the body

    bool operator==(const Decoded& other) const {
        return status == other.status && error.status == other.error.status &&
               std::string_view(error.reason) == other.error.reason && body == other.body &&
               consumed == other.consumed;
    }
};

std::ostream& operator<<(std::ostream& out, const Decoded& d) {
    return out << "status " << static_cast<int>(d.status) << " error " << d.error.status << " "
               << d.error.reason << " body \"" << d.body << "\" consumed " << d.consumed;
}

// Decodes `input` as bytes arriving in pieces of the sizes `next_size` returns, the way a
// client's receive loop does; when they are all decoded and `closed`, the server has closed
// the connection (finish()).
template <typename NextSize>
Decoded decode_growing(const ResponseHead& head, std::string_view input, const Limits& limits,
                       bool closed, NextSize next_size) {
    BodyDecoder decoder(head, limits);
    Decoded result;
    size_t position = 0;
    size_t available = 0;
    auto failed = [&] {
        result.status = ParseStatus::Error;
        result.error = decoder.error();
        result.body.clear();  // what came before the error is of no use
        return result;
    };
    for (;;) {
        while (position < available) {
            BodyDecoder::Step step;
            result.status = decoder.decode(input.substr(position, available - position), step);
            if (result.status == ParseStatus::Error) return failed();
            EXPECT_LE(step.consumed, available - position);
            result.body.append(step.data);
            if (result.status == ParseStatus::NeedMore) {
                EXPECT_GT(step.consumed, 0u) << "no progress";
            }
            position += step.consumed;
            if (result.status == ParseStatus::Done) {
                result.consumed = position;
                EXPECT_EQ(decoder.body_bytes(), result.body.size());
                return result;
            }
        }
        if (decoder.done()) {
            result.status = ParseStatus::Done;
            result.consumed = position;
            return result;
        }
        if (available == input.size()) {
            if (!closed) return result;  // NeedMore
            if (decoder.finish() == ParseStatus::Error) return failed();
            EXPECT_TRUE(decoder.done());
            result.status = ParseStatus::Done;
            result.consumed = position;
            return result;
        }
        available += next_size();
        if (available > input.size()) available = input.size();
    }
}

// Decodes `input` whole, and checks that it decodes the same split at every byte and in random
// pieces.
Decoded decode(const ResponseHead& head, std::string_view input, bool closed = false,
               const Limits& limits = {}) {
    Decoded whole = decode_growing(head, input, limits, closed, [&] { return input.size(); });
    EXPECT_EQ(decode_growing(head, input, limits, closed, [] { return size_t{1}; }), whole)
        << "byte by byte";
    std::mt19937 random(static_cast<uint32_t>(input.size()));
    std::uniform_int_distribution<size_t> piece(1, 16);
    for (int round = 0; round < 4; ++round)
        EXPECT_EQ(decode_growing(head, input, limits, closed, [&] { return piece(random); }),
                  whole);
    return whole;
}

ResponseHead framed(BodyFraming framing, uint64_t length = 0) {
    ResponseHead head;
    head.framing = framing;
    head.content_length = length;
    return head;
}

}  // namespace

// --- Status line ------------------------------------------------------------------------------

TEST(HttpResponseParser, NginxStaticFile) {
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 06 May 2024 10:00:00 GMT\r\n"
        "Content-Type: text/html\r\nContent-Length: 13\r\n"
        "Last-Modified: Mon, 06 May 2024 09:00:00 GMT\r\nConnection: keep-alive\r\n"
        "ETag: \"6638a0b0-c\"\r\nAccept-Ranges: bytes\r\n\r\n";
    std::string input = head + "<html></html>";
    Parsed p = parse_done(input);
    const ResponseHead& r = p.response;
    EXPECT_EQ(p.head_length, head.size());
    EXPECT_EQ(r.version, Version::Http11);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.reason, "OK");
    EXPECT_FALSE(r.interim());
    ASSERT_EQ(r.header_count, 8u);
    EXPECT_EQ(r.headers[0].name, "Server");
    EXPECT_EQ(r.header("etag"), "\"6638a0b0-c\"");
    EXPECT_EQ(r.framing, BodyFraming::ContentLength);
    EXPECT_EQ(r.content_length, 13u);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_FALSE(r.transfer_coded);
    Decoded body = decode(r, std::string_view(input).substr(p.head_length));
    EXPECT_EQ(body.status, ParseStatus::Done);
    EXPECT_EQ(body.body, "<html></html>");
    EXPECT_EQ(body.consumed, 13u);
}

TEST(HttpResponseParser, NginxChunkedAndErrorPages) {
    // gzip on, a proxied or generated response: chunked, Content-Encoding is not framing.
    std::string chunked =
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\nContent-Encoding: gzip\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    Parsed p = parse_done(chunked);
    EXPECT_EQ(p.response.framing, BodyFraming::Chunked);
    EXPECT_FALSE(p.response.transfer_coded);
    EXPECT_TRUE(p.response.keep_alive);
    Decoded body = decode(p.response, std::string_view(chunked).substr(p.head_length));
    EXPECT_EQ(body.status, ParseStatus::Done);
    EXPECT_EQ(body.body, "hello world");

    Parsed not_found = parse_done(
        "HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
        "Content-Length: 153\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(not_found.response.status, 404);
    EXPECT_EQ(not_found.response.reason, "Not Found");
    EXPECT_EQ(not_found.response.content_length, 153u);

    Parsed moved = parse_done(
        "HTTP/1.1 301 Moved Permanently\r\nServer: nginx\r\nContent-Length: 169\r\n"
        "Location: http://example.com/dir/\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(moved.response.status, 301);
    EXPECT_EQ(moved.response.header("Location"), "http://example.com/dir/");
    EXPECT_FALSE(moved.response.keep_alive);

    // Answering an HTTP/1.0 request, nginx says 1.1 and closes.
    Parsed to_old = parse_done(
        "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Length: 157\r\n"
        "Connection: close\r\n\r\n");
    EXPECT_EQ(to_old.response.status, 502);
    EXPECT_FALSE(to_old.response.keep_alive);
}

TEST(HttpResponseParser, StatusLineForms) {
    // No reason, an empty one, a long one with tabs and obs-text.
    Parsed bare = parse_done("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(bare.response.status, 200);
    EXPECT_EQ(bare.response.reason, "");
    EXPECT_EQ(parse_done("HTTP/1.1 204 \r\n\r\n").response.reason, "");
    EXPECT_EQ(parse_done("HTTP/1.1 200 It is\tall  f\xc3\xa9ine \r\n\r\n").response.reason,
              "It is\tall  f\xc3\xa9ine ");
    // The whole range of three digits from 100.
    EXPECT_EQ(parse_done("HTTP/1.1 100 Continue\r\n\r\n").response.status, 100);
    EXPECT_EQ(parse_done("HTTP/1.1 599 Custom\r\n\r\n").response.status, 599);
    EXPECT_EQ(parse_done("HTTP/1.1 999 Weird\r\n\r\n").response.status, 999);
    // Bare LF line ends, and empty lines before the status line.
    std::string lf = "\r\n\nHTTP/1.0 200 OK\nA: b\n\nrest";
    Parsed p = parse_done(lf);
    EXPECT_EQ(p.head_length, lf.size() - 4);
    EXPECT_EQ(p.response.header("A"), "b");
    EXPECT_EQ(parse_done("HTTP/1.1 200\n\n").response.status, 200);
}

TEST(HttpResponseParser, BadStatusLines) {
    expect_errors("status code is not three digits",
                  {
                      "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20\r\n\r\n",
                      "HTTP/1.1 \r\n\r\n",
                      "HTTP/1.1  200 OK\r\n\r\n",  // two spaces
                  });
    expect_errors("invalid status code", {
                                             "HTTP/1.1 2x0 OK\r\n\r\n",
                                             "HTTP/1.1 -20 OK\r\n\r\n",
                                             "HTTP/1.1 200\tOK\r\n\r\n",
                                             "HTTP/1.1 OK\r\n\r\n",
                                         });
    expect_errors("status code below 100", {"HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 000\r\n\r\n"});
    expect_errors("invalid HTTP version", {
                                              "http/1.1 200 OK\r\n\r\n",
                                              "HTTP/1.1x 200 OK\r\n\r\n",
                                              "ICY 200 OK\r\n\r\n",
                                              "HTTP/ 200 OK\r\n\r\n",
                                              "HTTP/1.1\x01 200 OK\r\n\r\n",
                                          });
    // No SP after the version: a version "HTTP/1.1200", which we do not speak.
    for (const char* version : {"HTTP/2.0", "HTTP/1.2", "HTTP/2", "HTTP/0.9", "HTTP/1.1200"})
        EXPECT_EQ(error_of(std::string(version) + " 200 OK\r\n\r\n"),
                  "only HTTP/1.0 and HTTP/1.1 are supported")
            << version;
    expect_errors("status line without a status code",
                  {"HTTP/1.1\r\n\r\n", "HTTP/1.1\n\n", "HTTPS\r\n"});
    expect_errors("invalid character in the reason phrase",
                  {"HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/1.1 200 OK\x7f\r\n\r\n",
                   "HTTP/1.1 200 \0\r\n\r\n"sv});
    expect_errors("invalid status line", {" HTTP/1.1 200 OK\r\n\r\n", "\x01HTTP/1.1 200 OK"});
    expect_errors("CR without LF", {"HTTP/1.1 200 OK\rX: y\r\n\r\n", "HTTP/1.1 200\r\r\n\r\n",
                                    "HTTP/1.1 200 O\rK\r\n\r\n"});
}

// --- Header fields and limits -----------------------------------------------------------------

TEST(HttpResponseParser, FieldsAreScannedAsInRequests) {
    Parsed p = parse_done(ok_with("A:x\r\nB:   spaced  out \t \r\nC:\r\nX-A_b.c~1!: v\r\n"));
    EXPECT_EQ(p.response.header("a"), "x");
    EXPECT_EQ(p.response.header("B"), "spaced  out");
    EXPECT_EQ(p.response.header("C"), "");
    EXPECT_EQ(p.response.header("x-a_b.C~1!"), "v");
    EXPECT_EQ(p.response.header("Missing").data(), nullptr);
    // Hosts and expectations mean nothing in a response.
    EXPECT_EQ(parse_done(ok_with("Host: a b\r\nHost: c\r\nExpect: x\r\n")).response.header_count,
              3u);
    EXPECT_EQ(error_of(ok_with("Host : h\r\n")), "whitespace before the colon of a header field");
    EXPECT_EQ(error_of(ok_with("X: a\r\n  b\r\n")),
              "line folding or leading whitespace in a header field");
    EXPECT_EQ(error_of(ok_with("X: a\x01\r\n")), "invalid character in a header field value");
    EXPECT_EQ(error_of(ok_with(": v\r\n")), "empty header field name");
}

TEST(HttpResponseParser, StatusLineLimit) {
    Limits limits;
    limits.request_line = 32;
    std::string fits = "HTTP/1.1 200 " + repeat('r', 32 - 13);  // exactly 32 bytes
    ASSERT_EQ(fits.size(), 32u);
    EXPECT_EQ(parse_done(fits + "\r\n\r\n", Method::Get, limits).response.reason.size(), 19u);
    std::string over = fits + "r";
    EXPECT_EQ(error_of(over + "\r\n\r\n", Method::Get, limits), "status line too long");
    // A version that never ends is caught too.
    EXPECT_EQ(error_of(repeat('H', 33), Method::Get, limits), "status line too long");
    // Known while the reason is still arriving.
    HeadParser parser(limits);
    ResponseHead response;
    EXPECT_EQ(parser.parse(fits, response, Method::Get), ParseStatus::NeedMore);
    EXPECT_EQ(parser.parse(over, response, Method::Get), ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 502);
}

TEST(HttpResponseParser, HeadBytesLimit) {
    Limits limits;
    limits.header_bytes = 100;
    std::string start = "HTTP/1.1 200 OK\r\nX: ";
    std::string fits = start + repeat('v', 100 - start.size() - 4) + "\r\n\r\n";
    ASSERT_EQ(fits.size(), 100u);
    EXPECT_EQ(parse_done(fits + "body", Method::Get, limits).head_length, 100u);
    std::string over = start + repeat('v', 100 - start.size() - 3) + "\r\n\r\n";
    EXPECT_EQ(error_of(over, Method::Get, limits), "response head too large");
    EXPECT_EQ(error_of(repeat('\n', 100) + "HTTP/1.1 200 OK\r\n\r\n", Method::Get, limits),
              "response head too large");
}

TEST(HttpResponseParser, HeaderCountLimit) {
    Limits limits;
    limits.header_count = 3;
    std::string fields = "A: 1\r\nB: 2\r\nC: 3\r\n";
    EXPECT_EQ(parse_done(ok_with(fields), Method::Get, limits).response.header_count, 3u);
    EXPECT_EQ(error_of(ok_with(fields + "D: 4\r\n"), Method::Get, limits),
              "too many header fields");
    // The storage bounds a larger configured limit.
    limits.header_count = kMaxHeaderCount + 1;
    fields.clear();
    for (size_t i = 0; i < kMaxHeaderCount; ++i) fields += "X" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(parse_done(ok_with(fields), Method::Get, limits).response.header_count,
              kMaxHeaderCount);
    EXPECT_EQ(error_of(ok_with(fields + "Y: v\r\n"), Method::Get, limits),
              "too many header fields");
}

// --- Framing (RFC 9112 6.3) -------------------------------------------------------------------

TEST(HttpResponseParser, ContentLength) {
    EXPECT_EQ(framing_of("Content-Length: 5\r\n"), BodyFraming::ContentLength);
    EXPECT_EQ(parse_done(ok_with("content-length:  007 \r\n")).response.content_length, 7u);
    Parsed zero = parse_done(ok_with("Content-Length: 0\r\n"));
    EXPECT_EQ(zero.response.framing, BodyFraming::None);
    EXPECT_TRUE(zero.response.keep_alive);
    // Identical repeats are one length; different ones are an error.
    EXPECT_EQ(parse_done(ok_with("Content-Length: 5, 5\r\n")).response.content_length, 5u);
    EXPECT_EQ(
        parse_done(ok_with("Content-Length: 5\r\nContent-Length: 5\r\n")).response.content_length,
        5u);
    expect_errors("invalid Content-Length",
                  {
                      ok_with("Content-Length: 5, 6\r\n"),
                      ok_with("Content-Length: 5\r\nContent-Length: 6\r\n"),
                      ok_with("Content-Length: 5\r\nContent-Length: \r\n"),
                      ok_with("Content-Length: 18446744073709551616\r\n"),
                  });
    for (const char* bad : {"", "+5", "-1", "5a", "0x5", "5 5", "5,", "1e3"})
        EXPECT_EQ(error_of(ok_with("Content-Length: " + std::string(bad) + "\r\n")),
                  "invalid Content-Length")
            << bad;
    // The largest length is a head like any other: the limit is the body decoder's.
    Parsed largest = parse_done(ok_with("Content-Length: 18446744073709551615\r\n"));
    EXPECT_EQ(largest.response.content_length, UINT64_MAX);
    Decoded refused = decode(largest.response, "abc");
    EXPECT_EQ(refused.status, ParseStatus::Error);
    EXPECT_EQ(refused.error.status, 502);
}

TEST(HttpResponseParser, TransferEncoding) {
    for (const char* te : {"chunked", "Chunked", " chunked ", ", chunked", "chunked,"}) {
        Parsed p = parse_done(ok_with("Transfer-Encoding:" + std::string(te) + "\r\n"));
        EXPECT_EQ(p.response.framing, BodyFraming::Chunked) << te;
        EXPECT_FALSE(p.response.transfer_coded) << te;
        EXPECT_TRUE(p.response.keep_alive) << te;
    }
    // Chunked last: the framing, under other codings the client must undo itself.
    for (const char* fields : {"Transfer-Encoding: gzip, chunked\r\n",
                               "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"}) {
        Parsed p = parse_done(ok_with(fields));
        EXPECT_EQ(p.response.framing, BodyFraming::Chunked) << fields;
        EXPECT_TRUE(p.response.transfer_coded) << fields;
    }
    // Chunked not last, or absent: the body ends when the server closes.
    for (const char* te : {"gzip", "chunked, gzip", "identity", "chunked;x=1"}) {
        Parsed p = parse_done(ok_with("Transfer-Encoding: " + std::string(te) + "\r\n"));
        EXPECT_EQ(p.response.framing, BodyFraming::UntilClose) << te;
        EXPECT_TRUE(p.response.transfer_coded) << te;
        EXPECT_FALSE(p.response.keep_alive) << te;
    }
    expect_errors("chunked applied more than once",
                  {
                      ok_with("Transfer-Encoding: chunked, chunked\r\n"),
                      ok_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip, chunked\r\n"),
                  });
    expect_errors("empty Transfer-Encoding",
                  {ok_with("Transfer-Encoding: \r\n"), ok_with("Transfer-Encoding: , ,\r\n")});
    // An HTTP/1.0 message with Transfer-Encoding has faulty framing (RFC 9112 6.1).
    EXPECT_EQ(error_of(ok_with("Transfer-Encoding: chunked\r\n", "HTTP/1.0 200 OK")),
              "Transfer-Encoding in an HTTP/1.0 response");
}

TEST(HttpResponseParser, TransferEncodingWithContentLengthIsMalformed) {
    // RFC 9112 6.3 lets Transfer-Encoding win, but calls it what it is, a smuggling or
    // splitting attempt; a client or proxy refuses the response, in either order, with any
    // coding, even where no body would follow.
    for (const char* fields : {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                               "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                               "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
                               "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"}) {
        EXPECT_EQ(error_of(ok_with(fields)), "both Content-Length and Transfer-Encoding") << fields;
        EXPECT_EQ(error_of(ok_with(fields, "HTTP/1.1 304 Not Modified")),
                  "both Content-Length and Transfer-Encoding")
            << fields;
    }
}

TEST(HttpResponseParser, UntilClose) {
    // Neither Content-Length nor Transfer-Encoding: the close ends the body, so the connection
    // cannot be kept, whatever the server says.
    for (const char* head :
         {"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n",
          "HTTP/1.0 200 OK\r\n\r\n", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
          "HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\n\r\n"}) {
        Parsed p = parse_done(head);
        EXPECT_EQ(p.response.framing, BodyFraming::UntilClose) << head;
        EXPECT_FALSE(p.response.keep_alive) << head;
        EXPECT_EQ(p.response.content_length, 0u);
    }
    std::string input = "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of\r\n\r\nthis 0\r\n";
    Parsed p = parse_done(input);
    std::string_view rest = std::string_view(input).substr(p.head_length);
    Decoded open = decode(p.response, rest);
    EXPECT_EQ(open.status, ParseStatus::NeedMore);
    EXPECT_EQ(open.body, rest);
    Decoded closed = decode(p.response, rest, true);
    EXPECT_EQ(closed.status, ParseStatus::Done);
    EXPECT_EQ(closed.body, rest);
    EXPECT_EQ(closed.consumed, rest.size());
    EXPECT_EQ(decode(p.response, "", true).status, ParseStatus::Done);  // an empty body
}

TEST(HttpResponseParser, KeepAlive) {
    EXPECT_TRUE(parse_done(ok_with("Content-Length: 1\r\n")).response.keep_alive);
    EXPECT_FALSE(
        parse_done(ok_with("Content-Length: 1\r\nConnection: close\r\n")).response.keep_alive);
    EXPECT_FALSE(parse_done(ok_with("Content-Length: 1\r\nConnection: Upgrade, CLOSE\r\n"))
                     .response.keep_alive);
    EXPECT_TRUE(
        parse_done(ok_with("Content-Length: 1\r\nConnection: closed\r\n")).response.keep_alive);
    const char* kOld = "HTTP/1.0 200 OK";
    EXPECT_FALSE(parse_done(ok_with("Content-Length: 1\r\n", kOld)).response.keep_alive);
    EXPECT_TRUE(parse_done(ok_with("Content-Length: 1\r\nConnection: Keep-Alive\r\n", kOld))
                    .response.keep_alive);
    EXPECT_FALSE(parse_done(ok_with("Content-Length: 1\r\nConnection: keep-alive, close\r\n", kOld))
                     .response.keep_alive);
    // Responses without a body keep the connection by the same rules.
    EXPECT_TRUE(parse_done("HTTP/1.1 204 No Content\r\n\r\n").response.keep_alive);
    EXPECT_FALSE(parse_done("HTTP/1.0 304 Not Modified\r\n\r\n").response.keep_alive);
}

TEST(HttpResponseParser, StatusesWithoutABody) {
    // 1xx, 204 and 304 end at the empty line, whatever the fields say; Content-Length then
    // describes the representation, not bytes that follow.
    for (const char* status_line : {"HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified",
                                    "HTTP/1.1 100 Continue", "HTTP/1.1 199 Odd"}) {
        std::string head = ok_with("Content-Length: 5\r\n", status_line);
        Parsed p = parse_done(head + "HTTP/1.1 200 OK\r\n");
        EXPECT_EQ(p.head_length, head.size()) << status_line;
        EXPECT_EQ(p.response.framing, BodyFraming::None) << status_line;
        EXPECT_EQ(p.response.content_length, 5u) << status_line;
        EXPECT_TRUE(p.response.keep_alive) << status_line;
        Decoded body = decode(p.response, "HTTP/1.1 200 OK\r\n", true);
        EXPECT_EQ(body.status, ParseStatus::Done);
        EXPECT_EQ(body.consumed, 0u);
        EXPECT_EQ(framing_of("Transfer-Encoding: chunked\r\n", Method::Get, status_line),
                  BodyFraming::None)
            << status_line;
        EXPECT_EQ(framing_of("", Method::Get, status_line), BodyFraming::None) << status_line;
    }
    // 205 is not among them (it has an empty body, framed like any other).
    EXPECT_EQ(framing_of("Content-Length: 0\r\n", Method::Get, "HTTP/1.1 205 Reset Content"),
              BodyFraming::None);
    EXPECT_EQ(framing_of("", Method::Get, "HTTP/1.1 205 Reset Content"), BodyFraming::UntilClose);
}

TEST(HttpResponseParser, ResponseToHead) {
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
        "Content-Length: 615\r\nConnection: keep-alive\r\n\r\n";
    Parsed p = parse_done(head + "HTTP/1.1 404 Not Found\r\n", Method::Head);
    EXPECT_EQ(p.head_length, head.size());
    EXPECT_EQ(p.response.framing, BodyFraming::None);
    EXPECT_EQ(p.response.content_length, 615u);  // what a GET would have sent
    EXPECT_TRUE(p.response.keep_alive);
    // The same bytes answering a GET have a body.
    EXPECT_EQ(parse_done(head, Method::Get).response.framing, BodyFraming::ContentLength);
    for (const char* fields : {"Transfer-Encoding: chunked\r\n", ""}) {
        Parsed q = parse_done(ok_with(fields), Method::Head);
        EXPECT_EQ(q.response.framing, BodyFraming::None) << fields;
        EXPECT_TRUE(q.response.keep_alive) << fields;
    }
}

TEST(HttpResponseParser, ResponseToConnect) {
    // A 2xx turns the connection into a tunnel: no body; any other status is framed as usual.
    Parsed tunnel = parse_done("HTTP/1.1 200 Connection Established\r\n\r\n", Method::Connect);
    EXPECT_EQ(tunnel.response.framing, BodyFraming::None);
    EXPECT_EQ(framing_of("Content-Length: 3\r\n", Method::Connect), BodyFraming::None);
    EXPECT_EQ(framing_of("Content-Length: 3\r\n", Method::Connect,
                         "HTTP/1.1 407 Proxy Authentication Required"),
              BodyFraming::ContentLength);
}

TEST(HttpResponseParser, InterimResponsesThenTheFinalOne) {
    // As a client reads them: 100 and 103 in one buffer with the final response; each interim
    // head is skipped and the parser started again where the next head begins.
    std::string input =
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    HeadParser parser;
    ResponseHead response;
    std::string_view rest = input;
    std::vector<int> statuses;
    for (;;) {
        SCOPED_TRACE(rest);
        parse_done(rest);  // each head parses alike however it is split
        parser.reset();
        ASSERT_EQ(parser.parse(rest, response, Method::Post), ParseStatus::Done);
        statuses.push_back(response.status);
        rest.remove_prefix(parser.head_length());
        if (!response.interim()) break;
        EXPECT_EQ(response.framing, BodyFraming::None);
    }
    EXPECT_EQ(statuses, (std::vector<int>{100, 103, 200}));
    EXPECT_EQ(response.header("Link"), "");  // the final head's fields only
    EXPECT_EQ(decode(response, rest).body, "abc");

    // 101 is final: the connection then speaks another protocol.
    Parsed switching = parse_done(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    EXPECT_FALSE(switching.response.interim());
    EXPECT_EQ(switching.response.framing, BodyFraming::None);
    EXPECT_TRUE(parse_done("HTTP/1.1 102 Processing\r\n\r\n").response.interim());
    EXPECT_FALSE(parse_done("HTTP/1.1 200 OK\r\n\r\n").response.interim());
}

// --- Parser lifecycle -------------------------------------------------------------------------

TEST(HttpResponseParser, AfterDoneAndAfterErrorTheResultStays) {
    HeadParser parser;
    ResponseHead response;
    std::string input = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1";
    ASSERT_EQ(parser.parse(input, response, Method::Get), ParseStatus::Done);
    size_t head = parser.head_length();
    EXPECT_EQ(parser.parse(input + " 200 OK\r\n", response, Method::Get), ParseStatus::Done);
    EXPECT_EQ(parser.head_length(), head);
    EXPECT_EQ(response.status, 204);

    for (std::string_view bad : {"HTTP/1.1 20 ", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n",
                                 "HTTP/1.1 200 OK\r\nContent-Length: x\n"}) {
        HeadParser failing;
        std::string more = std::string(bad) + "\r\nX: y\r\n\r\n";
        EXPECT_EQ(failing.parse(bad, response, Method::Get), ParseStatus::Error) << bad;
        EXPECT_EQ(failing.parse(more, response, Method::Get), ParseStatus::Error) << bad;
        EXPECT_EQ(failing.error().status, 502);
        EXPECT_STRNE(failing.error().reason, "");
        // reset() makes a failed parser usable again.
        failing.reset();
        EXPECT_EQ(failing.parse("HTTP/1.1 200 OK\r\n\r\n", response, Method::Get),
                  ParseStatus::Done);
        EXPECT_EQ(failing.error().status, 0);
    }
}

TEST(HttpResponseParser, ResetClearsEveryDerivedField) {
    HeadParser parser;
    ResponseHead response;
    ASSERT_EQ(parser.parse("HTTP/1.0 404 Gone Away\r\nTransfer-Encoding: gzip, chunked\r\n"
                           "X: y\r\n\r\n",
                           response, Method::Get),
              ParseStatus::Error);
    parser.reset();
    ASSERT_EQ(parser.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n"
                           "Content-Type: a\r\n\r\n",
                           response, Method::Get),
              ParseStatus::Done);
    EXPECT_TRUE(response.transfer_coded);
    parser.reset();
    // The next response on the same object inherits nothing.
    ASSERT_EQ(parser.parse("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n", response, Method::Get),
              ParseStatus::Done);
    EXPECT_EQ(response.reason, "");
    EXPECT_EQ(response.header_count, 1u);
    EXPECT_EQ(response.framing, BodyFraming::ContentLength);
    EXPECT_TRUE(response.keep_alive);
    EXPECT_FALSE(response.transfer_coded);
}

TEST(HttpResponseParser, EveryPrefixOfManyResponsesParsesAlike) {
    // parse() compares whole, byte-by-byte, random and moving-buffer parses of each.
    const char* responses[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        "\r\n\nHTTP/1.0 404 Not Found\nServer: x\n\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nA:  b  \r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"x\"\r\n\r\n",
        "HTTP/1.1 200 \xff\x80 reason\r\nX: \x80\xff\r\nY:\t\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\n Fold\r\n\r\n",
        "HTTP/3 200\r\n\r\n",
    };
    for (const char* response : responses) {
        SCOPED_TRACE(response);
        for (Method method : {Method::Get, Method::Head}) {
            Parsed p = parse(response, method);
            EXPECT_NE(p.status, ParseStatus::NeedMore);
        }
    }
}

TEST(HttpResponseParser, RequestsStillParseAfterAResponse) {
    // One parser, reset between the kinds, as a proxy might keep one per connection.
    HeadParser parser;
    ResponseHead response;
    ASSERT_EQ(parser.parse("HTTP/1.1 400 Bad\r\n", response, Method::Get), ParseStatus::NeedMore);
    parser.reset();
    Request request;
    ASSERT_EQ(
        parser.parse("GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n", request),
        ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 413);  // the server's statuses, not 502
    parser.reset();
    ASSERT_EQ(
        parser.parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", response, Method::Get),
        ParseStatus::Done);
}

// --- Body decoding ----------------------------------------------------------------------------

TEST(HttpResponseBody, ErrorsAre502) {
    Decoded chunked = decode(framed(BodyFraming::Chunked), "5\r\nhelloX\r\n0\r\n\r\n");
    EXPECT_EQ(chunked.status, ParseStatus::Error);
    EXPECT_EQ(chunked.error.status, 502);
    EXPECT_STREQ(chunked.error.reason, "chunk data not followed by CRLF");
    Limits limits;
    limits.body_bytes = 4;
    Decoded large = decode(framed(BodyFraming::Chunked), "5\r\nhello\r\n0\r\n\r\n", false, limits);
    EXPECT_EQ(large.error.status, 502);
    EXPECT_STREQ(large.error.reason, "body larger than the limit");
}

TEST(HttpResponseBody, FinishCutsShortOrCompletes) {
    ResponseHead length = framed(BodyFraming::ContentLength, 5);
    Decoded cut = decode(length, "hel", true);
    EXPECT_EQ(cut.status, ParseStatus::Error);
    EXPECT_EQ(cut.error.status, 502);
    EXPECT_STREQ(cut.error.reason, "the body was cut short by the end of the input");
    EXPECT_EQ(decode(length, "hello", true).status, ParseStatus::Done);
    EXPECT_EQ(decode(framed(BodyFraming::Chunked), "5\r\nhello\r\n0\r\n", true).status,
              ParseStatus::Error);
    EXPECT_EQ(decode(framed(BodyFraming::Chunked), "0\r\n\r\n", true).status, ParseStatus::Done);
    EXPECT_EQ(decode(framed(BodyFraming::None), "", true).status, ParseStatus::Done);

    // After an error, finish() keeps it; after finishing, the result stays.
    BodyDecoder failed(framed(BodyFraming::Chunked));
    BodyDecoder::Step step;
    ASSERT_EQ(failed.decode("x", step), ParseStatus::Error);
    EXPECT_EQ(failed.finish(), ParseStatus::Error);
    EXPECT_STREQ(failed.error().reason, "invalid chunk size");
    BodyDecoder until_close(framed(BodyFraming::UntilClose));
    EXPECT_FALSE(until_close.done());
    EXPECT_EQ(until_close.decode("ab", step), ParseStatus::NeedMore);
    EXPECT_EQ(step.data, "ab");
    EXPECT_EQ(until_close.finish(), ParseStatus::Done);
    EXPECT_TRUE(until_close.done());
    EXPECT_EQ(until_close.finish(), ParseStatus::Done);
    EXPECT_EQ(until_close.decode("more", step), ParseStatus::Done);
    EXPECT_EQ(step.consumed, 0u);
    EXPECT_EQ(until_close.body_bytes(), 2u);

    // The server's decoder reports a request cut short with its own status.
    Request request;
    request.framing = BodyFraming::ContentLength;
    request.content_length = 3;
    BodyDecoder upload(request);
    EXPECT_EQ(upload.decode("ab", step), ParseStatus::NeedMore);
    EXPECT_EQ(upload.finish(), ParseStatus::Error);
    EXPECT_EQ(upload.error().status, 400);
}

TEST(HttpResponseBody, UntilCloseLimit) {
    Limits limits;
    limits.body_bytes = 10;
    ResponseHead head = framed(BodyFraming::UntilClose);
    EXPECT_EQ(decode(head, repeat('x', 10), true, limits).body, repeat('x', 10));
    Decoded over = decode(head, repeat('x', 11), true, limits);
    EXPECT_EQ(over.status, ParseStatus::Error);
    EXPECT_STREQ(over.error.reason, "body larger than the limit");
}

TEST(HttpResponseBody, NoBodyLimit) {
    // A proxy streaming bodies on sets no limit at all.
    Limits limits;
    limits.body_bytes = kNoBodyLimit;
    BodyDecoder::Step step;
    BodyDecoder huge(framed(BodyFraming::ContentLength, UINT64_MAX), limits);
    EXPECT_EQ(huge.decode("abc", step), ParseStatus::NeedMore);
    EXPECT_EQ(step.data, "abc");
    BodyDecoder chunk(framed(BodyFraming::Chunked), limits);
    EXPECT_EQ(chunk.decode("ffffffffffffffff\r\nab", step), ParseStatus::NeedMore);
    EXPECT_EQ(chunk.decode("ab", step), ParseStatus::NeedMore);
    EXPECT_EQ(step.data, "ab");
    EXPECT_EQ(decode(framed(BodyFraming::UntilClose), repeat('y', 5000), true, limits).body.size(),
              5000u);
    // And the head parser of a request takes any length with it too.
    HeadParser parser(limits);
    Request request;
    ASSERT_EQ(parser.parse("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615"
                           "\r\n\r\n",
                           request),
              ParseStatus::Done);
    EXPECT_EQ(request.content_length, UINT64_MAX);
}

TEST(HttpResponseBody, ClientReadsResponsesFromOneConnection) {
    // A keep-alive connection answering GET, HEAD and GET, the last closed by the server: what
    // a client does with each head, its body and the bytes after it.
    std::string input =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end";
    std::string_view rest = input;
    std::vector<std::string> bodies;
    for (Method method : {Method::Get, Method::Head, Method::Get}) {
        HeadParser parser;
        ResponseHead response;
        ASSERT_EQ(parser.parse(rest, response, method), ParseStatus::Done);
        rest.remove_prefix(parser.head_length());
        bool last = !response.keep_alive;
        Decoded body = decode(response, rest, last);
        ASSERT_EQ(body.status, ParseStatus::Done);
        bodies.push_back(body.body);
        rest.remove_prefix(body.consumed);
    }
    EXPECT_EQ(bodies, (std::vector<std::string>{"abc", "", "to the end"}));
    EXPECT_TRUE(rest.empty());
}
