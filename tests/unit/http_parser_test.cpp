// HTTP/1.x request parsing: HeadParser and BodyDecoder on whole requests, on requests split at
// every byte and in random pieces (which must parse identically), at and past every limit.
#include "apps/http/parser.hpp"

#include <gtest/gtest.h>

#include <cstring>
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
std::string describe(ParseStatus status, const HeadParser& parser, const Request& r,
                     std::string_view buffer) {
    if (status == ParseStatus::Error) return "error " + std::to_string(parser.error().status);
    if (status == ParseStatus::NeedMore) return "need more";
    size_t n = parser.head_length();
    std::string s =
        "head " + std::to_string(n) + " method " + method_name(r.method) + " " +
        where(r.method_text, buffer, n) + " target " + where(r.target, buffer, n) + " path " +
        where(r.path, buffer, n) + " query " + where(r.query, buffer, n) + " version " +
        (r.version == Version::Http11 ? "1.1" : "1.0") + " host " + where(r.host, buffer, n) +
        " framing " + std::to_string(static_cast<int>(r.framing)) + " length " +
        std::to_string(r.content_length) + " keep-alive " + std::to_string(r.keep_alive) +
        " continue " + std::to_string(r.expect_continue) + " fields";
    for (size_t i = 0; i < r.header_count; ++i)
        s += " " + where(r.headers[i].name, buffer, n) + "=" + where(r.headers[i].value, buffer, n);
    return s;
}

// The head parser as incremental_parse.hpp feeds it.
struct RequestSession {
    HeadParser parser;
    Request head;
    ParseStatus feed(std::string_view buffer) { return parser.parse(buffer, head); }
    std::string outcome(ParseStatus status, std::string_view buffer) const {
        return describe(status, parser, head, buffer);
    }
};

struct Parsed {
    std::unique_ptr<std::string> buffer;  // the request's views point into this copy
    ParseStatus status;
    uint16_t error = 0;
    size_t head_length = 0;
    Request request;
};

// Parses `input` whole, and checks that the same bytes arriving one at a time, in random
// pieces, or moved to a new buffer on every call parse to the very same result.
Parsed parse(std::string_view original, const Limits& limits = {}) {
    HeadParser parser(limits);
    Parsed parsed;
    parsed.buffer = std::make_unique<std::string>(original);
    std::string_view input = *parsed.buffer;
    parsed.status = parser.parse(input, parsed.request);
    parsed.error = parser.error().status;
    parsed.head_length = parser.head_length();
    std::string whole = describe(parsed.status, parser, parsed.request, input);

    // The same bytes one at a time, split in two (short heads), in random pieces, in place and
    // moved to a new buffer on every call: the very same result.
    auto session = [&] { return RequestSession{HeadParser(limits), {}}; };
    EXPECT_EQ(coronet::splits::expect_alike_when_split(
                  input, session, {.every_split = input.size() <= 512, .largest_piece = 64}),
              whole);
    return parsed;
}

uint16_t error_of(std::string_view input, const Limits& limits = {}) {
    Parsed parsed = parse(input, limits);
    EXPECT_EQ(parsed.status, ParseStatus::Error) << input;
    return parsed.error;
}

Parsed parse_done(std::string_view input, const Limits& limits = {}) {
    Parsed parsed = parse(input, limits);
    EXPECT_EQ(parsed.status, ParseStatus::Done) << input << " error " << parsed.error;
    return parsed;
}

// A request target, the path and query it splits into, and the host of a request with it and
// "Host: h".
struct TargetSplit {
    std::string_view target, path, query, host = "h";
};

// Each target, in a `method` request, splits as expected.
void expect_splits(std::string_view method, std::initializer_list<TargetSplit> splits) {
    for (const TargetSplit& split : splits) {
        Parsed p = parse_done(std::string(method) + " " + std::string(split.target) +
                              " HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(p.request.target, split.target);
        EXPECT_EQ(p.request.path, split.path) << split.target;
        EXPECT_EQ(p.request.query, split.query) << split.target;
        EXPECT_EQ(p.request.host, split.host) << split.target;
    }
}

// A head with these header lines.
std::string get_with(std::string_view fields, std::string_view version = "HTTP/1.1") {
    return "GET / " + std::string(version) + "\r\n" + std::string(fields) + "\r\n";
}

std::string repeat(char c, size_t n) { return std::string(n, c); }

// --- Body decoding helpers ---

struct Decoded {
    ParseStatus status = ParseStatus::NeedMore;
    uint16_t error = 0;
    std::string body;
    size_t consumed = 0;  // bytes of the input that belonged to the body

    bool operator==(const Decoded&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Decoded& d) {
    return out << "status " << static_cast<int>(d.status) << " error " << d.error << " body \""
               << d.body << "\" consumed " << d.consumed;
}

// Decodes `input` as bytes arriving in pieces of the sizes `next_size` returns; each arrival is
// decoded the way the server does it, calling again while bytes remain.
template <typename NextSize>
Decoded decode_growing(const Request& request, std::string_view input, const Limits& limits,
                       NextSize next_size) {
    BodyDecoder decoder(request, limits);
    Decoded result;
    size_t position = 0;
    size_t available = 0;
    for (;;) {
        while (position < available) {
            BodyDecoder::Step step;
            result.status = decoder.decode(input.substr(position, available - position), step);
            if (result.status == ParseStatus::Error) {
                result.error = decoder.error().status;
                result.body.clear();  // what came before the error is of no use
                return result;
            }
            EXPECT_LE(step.consumed, available - position);
            if (!step.data.empty()) {  // a view of the input, inside what was consumed
                EXPECT_GE(step.data.data(), input.data() + position);
                EXPECT_LE(step.data.data() + step.data.size(),
                          input.data() + position + step.consumed);
            }
            result.body.append(step.data);
            if (result.status == ParseStatus::NeedMore) {
                EXPECT_GT(step.consumed, 0u) << "no progress";
            }
            position += step.consumed;
            if (result.status == ParseStatus::Done) {
                result.consumed = position;
                EXPECT_TRUE(decoder.done());
                EXPECT_EQ(decoder.body_bytes(), result.body.size());
                return result;
            }
        }
        if (decoder.done()) {
            result.status = ParseStatus::Done;
            result.consumed = position;
            return result;
        }
        if (available == input.size()) return result;  // NeedMore
        available += next_size();
        if (available > input.size()) available = input.size();
    }
}

Request framed(BodyFraming framing, uint64_t length = 0) {
    Request request;
    request.framing = framing;
    request.content_length = length;
    return request;
}

// Decodes `input` whole, and checks that it decodes the same split at every byte and in random
// pieces.
Decoded decode(const Request& request, std::string_view input, const Limits& limits = {}) {
    Decoded whole = decode_growing(request, input, limits, [&] { return input.size(); });
    EXPECT_EQ(decode_growing(request, input, limits, [] { return size_t{1}; }), whole)
        << "byte by byte";
    std::mt19937 random(static_cast<uint32_t>(input.size()));
    std::uniform_int_distribution<size_t> piece(1, 16);
    for (int round = 0; round < 4; ++round)
        EXPECT_EQ(decode_growing(request, input, limits, [&] { return piece(random); }), whole);
    return whole;
}

Decoded decode_chunked(std::string_view input, const Limits& limits = {}) {
    return decode(framed(BodyFraming::Chunked), input, limits);
}

uint16_t chunked_error(std::string_view input, const Limits& limits = {}) {
    Decoded decoded = decode_chunked(input, limits);
    EXPECT_EQ(decoded.status, ParseStatus::Error) << input;
    return decoded.error;
}

// Each of `inputs` fails with `status`, as a head (error_of) or as a chunked body (chunked_error).
using ErrorOf = uint16_t (*)(std::string_view input, const Limits& limits);
void expect_errors(ErrorOf error, uint16_t status, std::initializer_list<std::string_view> inputs) {
    for (std::string_view input : inputs) EXPECT_EQ(error(input, {}), status) << input;
}

}  // namespace

// --- Request line ---------------------------------------------------------------------------

TEST(HttpParser, SimpleGet) {
    std::string input = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
    Parsed p = parse_done(input);
    const Request& r = p.request;
    EXPECT_EQ(p.head_length, input.size());
    EXPECT_EQ(r.method, Method::Get);
    EXPECT_EQ(r.method_text, "GET");
    EXPECT_EQ(r.target, "/index.html");
    EXPECT_EQ(r.path, "/index.html");
    EXPECT_EQ(r.query, "");
    EXPECT_EQ(r.version, Version::Http11);
    EXPECT_EQ(r.host, "example.com");
    ASSERT_EQ(r.header_count, 1u);
    EXPECT_EQ(r.headers[0].name, "Host");
    EXPECT_EQ(r.headers[0].value, "example.com");
    EXPECT_EQ(r.framing, BodyFraming::None);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_FALSE(r.expect_continue);
}

TEST(HttpParser, IncompleteHeadNeedsMore) {
    for (std::string_view prefix :
         {"", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
          "GET / HTTP/1.1\r\nHost: a\r\n\r", "\r\n\r\n"}) {
        HeadParser parser;
        Request request;
        EXPECT_EQ(parser.parse(prefix, request), ParseStatus::NeedMore) << prefix;
    }
}

TEST(HttpParser, KnownMethods) {
    const std::pair<const char*, Method> cases[] = {
        {"GET", Method::Get},     {"HEAD", Method::Head},     {"POST", Method::Post},
        {"PUT", Method::Put},     {"DELETE", Method::Delete}, {"OPTIONS", Method::Options},
        {"PATCH", Method::Patch}, {"TRACE", Method::Trace},
    };
    for (auto [name, method] : cases) {
        Parsed p = parse_done(std::string(name) + " / HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(p.request.method, method) << name;
        EXPECT_STREQ(method_name(p.request.method), name);
    }
    EXPECT_EQ(parse_done("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n").request.method,
              Method::Connect);
    EXPECT_STREQ(method_name(Method::Connect), "CONNECT");
}

TEST(HttpParser, UnknownMethodsAreOtherWithTheirText) {
    Parsed p = parse_done("PROPFIND /dav HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(p.request.method, Method::Other);
    EXPECT_EQ(p.request.method_text, "PROPFIND");
    // Methods are case-sensitive: "get" is not GET.
    EXPECT_EQ(parse_done("get / HTTP/1.1\r\nHost: h\r\n\r\n").request.method, Method::Other);
    // Any token is a method, punctuation included (but '*' stays OPTIONS only).
    EXPECT_EQ(error_of("M-SEARCH! * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(parse_done("M-SEARCH! /x HTTP/1.1\r\nHost: h\r\n\r\n").request.method_text,
              "M-SEARCH!");
}

TEST(HttpParser, MethodLengthLimit) {
    std::string longest(kMaxMethodLength, 'X');
    EXPECT_EQ(parse_done(longest + " / HTTP/1.1\r\nHost: h\r\n\r\n").request.method_text, longest);
    EXPECT_EQ(error_of(longest + "X / HTTP/1.1\r\nHost: h\r\n\r\n"), 501);
    // Known before the method ends.
    HeadParser parser;
    Request request;
    EXPECT_EQ(parser.parse(longest + "X", request), ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 501);
}

TEST(HttpParser, InvalidMethodCharacters) {
    expect_errors(error_of, 400,
                  {
                      "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
                      " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                      "\x01GET / HTTP/1.1\r\n\r\n",
                  });
}

TEST(HttpParser, SeparatorsAreSingleSpaces) {
    expect_errors(error_of, 400,
                  {
                      "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
                      "GET /\tHTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET / \r\nHost: h\r\n\r\n",
                      "GET /\r\nHost: h\r\n\r\n",  // HTTP/0.9 style
                      "GET\r\n\r\n",
                  });
}

TEST(HttpParser, LeadingEmptyLinesAreSkipped) {
    std::string input = "\r\n\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\nBODY";
    Parsed p = parse_done(input);
    EXPECT_EQ(p.request.method_text, "GET");
    EXPECT_EQ(p.request.path, "/x");
    EXPECT_EQ(p.head_length, input.size() - 4);  // the skipped lines are part of the head
}

TEST(HttpParser, BareLfLineEndings) {
    std::string input = "GET / HTTP/1.0\nHost: h\nA: b\n\nrest";
    Parsed p = parse_done(input);
    EXPECT_EQ(p.head_length, input.size() - 4);
    EXPECT_EQ(p.request.header("A"), "b");
    EXPECT_EQ(p.request.version, Version::Http10);
    // Mixed endings.
    EXPECT_EQ(parse_done("GET / HTTP/1.1\r\nHost: h\n\r\n").request.host, "h");
}

TEST(HttpParser, BareCrIsRejected) {
    expect_errors(error_of, 400,
                  {
                      "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET / HTTP/1.1\rHost: h\r\n\r\n",
                      "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
                      "GET / HTTP/1.1\r\nHost: h\r\n\rX",
                      "GET / HTTP/1.1\r\nHost: h\r\r\n\r\n",
                  });
}

TEST(HttpParser, OriginFormSplitsPathAndQuery) {
    expect_splits("GET", {
                             {"/a/b?x=1&y=2?z", "/a/b", "x=1&y=2?z"},
                             {"/?", "/", ""},
                             // Percent-encoding and sub-delimiters: the router's.
                             {"/%41%20b;c,d", "/%41%20b;c,d", ""},
                         });
}

TEST(HttpParser, TargetCharacters) {
    expect_errors(error_of, 400,
                  {
                      "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"sv,
                      "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET ?x HTTP/1.1\r\nHost: h\r\n\r\n",
                  });
}

TEST(HttpParser, AsteriskFormOnlyForOptions) {
    EXPECT_EQ(parse_done("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").request.method, Method::Options);
    expect_splits("OPTIONS", {{"*", "*", ""}, {"/x", "/x", ""}});
    expect_errors(error_of, 400,
                  {
                      "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
                      "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n",
                  });
}

TEST(HttpParser, AuthorityFormOnlyForConnect) {
    Parsed p = parse_done("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    EXPECT_EQ(p.request.host, "example.com:443");
    expect_splits("CONNECT", {
                                 {"example.com:443", "example.com:443", ""},
                                 {"[::1]:8080", "[::1]:8080", ""},
                             });
    expect_errors(error_of, 400,
                  {
                      "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n",
                      "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n",
                      "CONNECT example.com: HTTP/1.1\r\nHost: h\r\n\r\n",
                      "CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n",
                      "CONNECT a:4x HTTP/1.1\r\nHost: h\r\n\r\n",
                      "CONNECT a/b:4 HTTP/1.1\r\nHost: h\r\n\r\n",
                      "CONNECT * HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n",
                  });
}

TEST(HttpParser, AbsoluteForm) {
    // The target's authority wins over Host. No path: "/", still a view into the buffer
    // (checked by describe()).
    expect_splits("GET", {
                             {"http://example.com:8080/a/b?c=d", "/a/b", "c=d", "example.com:8080"},
                             {"HTTPS://example.com", "/", "", "example.com"},
                             {"http://h?x=1", "/", "x=1", "h"},
                         });
    Parsed p = parse_done("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: other\r\n\r\n");
    EXPECT_EQ(p.request.host, "example.com:8080");
    EXPECT_EQ(p.request.header("Host"), "other");

    expect_errors(error_of, 400,
                  {
                      "GET ftp://example.com/ HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET http://user@h/x HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET http:/h/x HTTP/1.1\r\nHost: h\r\n\r\n",
                      "GET http://h#frag HTTP/1.1\r\nHost: h\r\n\r\n",
                  });
    // Host stays mandatory on HTTP/1.1 (RFC 9110 7.2).
    EXPECT_EQ(error_of("GET http://h/ HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(parse_done("GET http://h/ HTTP/1.0\r\n\r\n").request.host, "h");
}

TEST(HttpParser, Versions) {
    EXPECT_EQ(parse_done("GET / HTTP/1.0\r\n\r\n").request.version, Version::Http10);
    EXPECT_EQ(parse_done("GET / HTTP/1.1\r\nHost: h\r\n\r\n").request.version, Version::Http11);
    for (const char* version :
         {"HTTP/2.0", "HTTP/1.2", "HTTP/3", "HTTP/0.9", "HTTP/2", "HTTP/10.0"})
        EXPECT_EQ(error_of(get_with("Host: h\r\n", version)), 505) << version;
    for (const char* version : {"http/1.1", "HTTP/", "HTTP/1.", "HTTP/.1", "HTTP/1.1.1",
                                "HTTP/1.1x", "HTTZ/1.1", "HTTP/a.b", "HTTP", "1.1", "HTTP/1,1"})
        EXPECT_EQ(error_of(get_with("Host: h\r\n", version)), 400) << version;
    EXPECT_EQ(error_of("GET / HTTP/1.1\x01\r\nHost: h\r\n\r\n"), 400);
}

TEST(HttpParser, RequestLineLimit) {
    Limits limits;
    limits.request_line = 64;
    std::string fits = "GET /" + repeat('a', 64 - 14) + " HTTP/1.1";  // exactly 64 bytes
    ASSERT_EQ(fits.size(), 64u);
    EXPECT_EQ(parse_done(fits + "\r\nHost: h\r\n\r\n", limits).request.target.size(), 51u);
    EXPECT_EQ(parse_done(fits + "\nHost: h\n\n", limits).status, ParseStatus::Done);
    std::string over = "GET /" + repeat('a', 64 - 13) + " HTTP/1.1";
    EXPECT_EQ(error_of(over + "\r\nHost: h\r\n\r\n", limits), 414);

    // Detected while the target is still arriving, long before the line would end.
    HeadParser parser(limits);
    Request request;
    std::string arriving = "GET /" + repeat('a', 59);
    EXPECT_EQ(parser.parse(arriving, request), ParseStatus::NeedMore);
    arriving += 'a';
    EXPECT_EQ(parser.parse(arriving, request), ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 414);

    // The default limit.
    Limits defaults;
    std::string long_target = "/" + repeat('b', defaults.request_line);
    EXPECT_EQ(error_of("GET " + long_target + " HTTP/1.1\r\nHost: h\r\n\r\n"), 414);
}

// --- Header fields ----------------------------------------------------------------------------

TEST(HttpParser, FieldValuesAreTrimmed) {
    Parsed p =
        parse_done(get_with("Host: h\r\nA:x\r\nB:   spaced  out \t \r\nC:\r\nD: \t \r\n"
                            "E: tab\tinside\r\n"));
    const Request& r = p.request;
    ASSERT_EQ(r.header_count, 6u);
    EXPECT_EQ(r.header("A"), "x");
    EXPECT_EQ(r.header("B"), "spaced  out");
    EXPECT_EQ(r.header("C"), "");
    EXPECT_EQ(r.header("D"), "");
    EXPECT_EQ(r.header("E"), "tab\tinside");
    EXPECT_EQ(r.headers[2].name, "B");
}

TEST(HttpParser, FieldValueCharacters) {
    // obs-text is allowed (e.g. UTF-8 in a value).
    EXPECT_EQ(parse_done(get_with("Host: h\r\nX: caf\xc3\xa9 \xff\r\n")).request.header("x"),
              "caf\xc3\xa9 \xff");
    expect_errors(error_of, 400,
                  {
                      get_with("Host: h\r\nX: a\x01b\r\n"),
                      get_with("Host: h\r\nX: a\x7f\r\n"),
                      get_with("Host: h\r\nX: a\x1b[0m\r\n"),
                      get_with("Host: h\r\nX: a\0b\r\n"sv),
                  });
}

TEST(HttpParser, FieldNames) {
    EXPECT_EQ(parse_done(get_with("Host: h\r\nX-A_b.c~1!: v\r\n")).request.header("x-a_b.C~1!"),
              "v");
    expect_errors(error_of, 400,
                  {
                      get_with("Host : h\r\n"),
                      get_with("Host\t: h\r\n"),
                      get_with("Host: h\r\n: v\r\n"),
                      get_with("Host: h\r\nX(y): v\r\n"),
                      get_with("Host: h\r\nNoColon\r\n"),
                      get_with("Host: h\r\n\x80X: v\r\n"),
                  });
}

TEST(HttpParser, LineFoldingIsRejected) {
    expect_errors(error_of, 400,
                  {
                      get_with("Host: h\r\nX: a\r\n  b\r\n"),
                      get_with("Host: h\r\nX: a\r\n\tb\r\n"),
                  });
    // Whitespace before the first field.
    EXPECT_EQ(error_of(get_with(" Host: h\r\n")), 400);
}

TEST(HttpParser, HeaderLookup) {
    Parsed p = parse_done(get_with("host: h\r\nAccept: a\r\nACCEPT: b\r\n"));
    EXPECT_EQ(p.request.header("Accept"), "a");  // the first one
    EXPECT_EQ(p.request.header("HOST"), "h");
    EXPECT_EQ(p.request.header("Accep"), "");
    EXPECT_EQ(p.request.header("Missing").data(), nullptr);
    EXPECT_TRUE(equals_ignore_case("Content-Length", "content-LENGTH"));
    EXPECT_FALSE(equals_ignore_case("a", "ab"));
    EXPECT_FALSE(equals_ignore_case("[", "{"));  // only letters fold
}

TEST(HttpParser, HeaderCountLimit) {
    Limits limits;
    limits.header_count = 5;
    std::string fields = "Host: h\r\n";
    for (int i = 1; i < 5; ++i) fields += "X" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(parse_done(get_with(fields), limits).request.header_count, 5u);
    EXPECT_EQ(error_of(get_with(fields + "Y: v\r\n"), limits), 431);
    // Known at the extra field's first byte, before the head ends.
    HeadParser parser(limits);
    Request request;
    std::string arriving = "GET / HTTP/1.1\r\n" + fields + "Y";
    EXPECT_EQ(parser.parse(arriving, request), ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 431);

    // The storage bounds a larger configured limit.
    limits.header_count = kMaxHeaderCount + 10;
    fields = "Host: h\r\n";
    for (size_t i = 1; i < kMaxHeaderCount; ++i) fields += "X" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(parse_done(get_with(fields), limits).request.header_count, kMaxHeaderCount);
    EXPECT_EQ(error_of(get_with(fields + "Y: v\r\n"), limits), 431);
}

TEST(HttpParser, HeadBytesLimit) {
    Limits limits;
    limits.header_bytes = 200;
    // X's value pads the head to exactly the limit, then one byte more.
    std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
    std::string fits = start + repeat('v', 200 - start.size() - 4) + "\r\n\r\n";
    ASSERT_EQ(fits.size(), 200u);
    EXPECT_EQ(parse_done(fits + "body", limits).head_length, 200u);
    std::string over = start + repeat('v', 200 - start.size() - 3) + "\r\n\r\n";
    EXPECT_EQ(error_of(over, limits), 431);

    // Known while the field is still arriving.
    HeadParser parser(limits);
    Request request;
    std::string arriving = "GET / HTTP/1.1\r\nX: " + repeat('v', 200);
    EXPECT_EQ(parser.parse(std::string_view(arriving).substr(0, 200), request),
              ParseStatus::NeedMore);
    EXPECT_EQ(parser.parse(arriving, request), ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 431);

    // Empty lines before the request count too: endless CRLFs end in 431.
    EXPECT_EQ(error_of(repeat('\n', 200) + "GET / HTTP/1.0\r\n\r\n", limits), 431);
    std::string crlfs;
    for (int i = 0; i < 100; ++i) crlfs += "\r\n";
    EXPECT_EQ(error_of(crlfs + "G", limits), 431);
    EXPECT_EQ(parse_done(repeat('\n', 200 - 18) + "GET / HTTP/1.0\r\n\r\n", limits).head_length,
              200u);
}

// --- Derived fields ---------------------------------------------------------------------------

TEST(HttpParser, HostHeader) {
    EXPECT_EQ(parse_done("GET / HTTP/1.0\r\n\r\n").request.host, "");
    EXPECT_EQ(parse_done(get_with("Host:\r\n")).request.host, "");  // empty is allowed
    EXPECT_EQ(parse_done(get_with("Host: 10.77.0.2:8080\r\n")).request.host, "10.77.0.2:8080");
    EXPECT_EQ(parse_done(get_with("Host: [fe80::1]:80\r\n")).request.host, "[fe80::1]:80");
    expect_errors(error_of, 400,
                  {
                      "GET / HTTP/1.1\r\n\r\n",
                      get_with("Host: a\r\nHost: a\r\n"),
                      "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
                      get_with("Host: a b\r\n"),
                      get_with("Host: a/b\r\n"),
                      get_with("Host: user@a\r\n"),
                  });
}

TEST(HttpParser, ContentLength) {
    Parsed p = parse_done(get_with("Host: h\r\nContent-Length: 12\r\n") + "hello world!");
    EXPECT_EQ(p.request.framing, BodyFraming::ContentLength);
    EXPECT_EQ(p.request.content_length, 12u);
    EXPECT_EQ(parse_done(get_with("Host: h\r\ncontent-length:  007 \r\n")).request.content_length,
              7u);
    Parsed zero = parse_done(get_with("Host: h\r\nContent-Length: 0\r\n"));
    EXPECT_EQ(zero.request.framing, BodyFraming::None);
    EXPECT_EQ(zero.request.content_length, 0u);

    // Identical repeats, as a list or as fields, are one length.
    EXPECT_EQ(parse_done(get_with("Host: h\r\nContent-Length: 5, 5\r\n")).request.content_length,
              5u);
    EXPECT_EQ(parse_done(get_with("Host: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n"))
                  .request.content_length,
              5u);
    expect_errors(error_of, 400,
                  {
                      get_with("Host: h\r\nContent-Length: 5, 6\r\n"),
                      get_with("Host: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n"),
                  });
    for (const char* bad : {"", "+5", "-1", "5a", "0x5", "5 5", "5,", ",5", "1e3", "5.0"})
        EXPECT_EQ(error_of(get_with("Host: h\r\nContent-Length: " + std::string(bad) + "\r\n")),
                  400)
            << bad;
    // Overflow is malformed; a representable length over the limit is too large.
    expect_errors(error_of, 400,
                  {
                      get_with("Host: h\r\nContent-Length: 18446744073709551616\r\n"),
                      get_with("Host: h\r\nContent-Length: 99999999999999999999999\r\n"),
                  });
    EXPECT_EQ(error_of(get_with("Host: h\r\nContent-Length: 18446744073709551615\r\n")), 413);
}

TEST(HttpParser, ContentLengthLimit) {
    Limits limits;
    limits.body_bytes = 1000;
    Parsed at_limit = parse_done(get_with("Host: h\r\nContent-Length: 1000\r\n"), limits);
    EXPECT_EQ(at_limit.request.content_length, 1000u);
    EXPECT_EQ(error_of(get_with("Host: h\r\nContent-Length: 1001\r\n"), limits), 413);
    // Answered right away: the head need not be complete.
    HeadParser parser(limits);
    Request request;
    EXPECT_EQ(parser.parse("POST / HTTP/1.1\r\nContent-Length: 1001\r\n", request),
              ParseStatus::Error);
    EXPECT_EQ(parser.error().status, 413);
}

TEST(HttpParser, TransferEncoding) {
    for (const char* te : {"chunked", "Chunked", "CHUNKED", " chunked ", ", chunked", "chunked,"}) {
        Parsed p = parse_done(get_with("Host: h\r\nTransfer-Encoding:" + std::string(te) + "\r\n"));
        EXPECT_EQ(p.request.framing, BodyFraming::Chunked) << te;
    }
    for (const char* te : {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "identity",
                           "chunked;q=1", "x-custom"})
        EXPECT_EQ(error_of(get_with("Host: h\r\nTransfer-Encoding: " + std::string(te) + "\r\n")),
                  501)
            << te;
    // The codings of all fields form one list.
    for (const char* fields : {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
                               "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"})
        EXPECT_EQ(error_of(get_with("Host: h\r\n" + std::string(fields))), 501) << fields;
    expect_errors(error_of, 400,
                  {
                      get_with("Host: h\r\nTransfer-Encoding: \r\n"),
                      get_with("Host: h\r\nTransfer-Encoding: ,\r\n"),
                  });
    // Not in HTTP/1.0, and never together with Content-Length (request smuggling).
    EXPECT_EQ(error_of(get_with("Transfer-Encoding: chunked\r\n", "HTTP/1.0")), 400);
    for (const char* fields : {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                               "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                               "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"})
        EXPECT_EQ(error_of(get_with("Host: h\r\n" + std::string(fields))), 400) << fields;
}

TEST(HttpParser, ConnectionOnHttp11) {
    EXPECT_TRUE(parse_done(get_with("Host: h\r\n")).request.keep_alive);
    EXPECT_FALSE(parse_done(get_with("Host: h\r\nConnection: close\r\n")).request.keep_alive);
    EXPECT_FALSE(parse_done(get_with("Host: h\r\nConnection: Close\r\n")).request.keep_alive);
    EXPECT_FALSE(
        parse_done(get_with("Host: h\r\nConnection: Upgrade, CLOSE\r\n")).request.keep_alive);
    EXPECT_FALSE(parse_done(get_with("Host: h\r\nConnection: keep-alive\r\nConnection: close\r\n"))
                     .request.keep_alive);
    EXPECT_TRUE(parse_done(get_with("Host: h\r\nConnection: keep-alive\r\n")).request.keep_alive);
    EXPECT_TRUE(
        parse_done(get_with("Host: h\r\nConnection: closed, xclose\r\n")).request.keep_alive);
}

TEST(HttpParser, ConnectionOnHttp10) {
    EXPECT_FALSE(parse_done("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
    EXPECT_TRUE(parse_done("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
    EXPECT_TRUE(
        parse_done("GET / HTTP/1.0\r\nConnection: TE,  keep-alive \r\n\r\n").request.keep_alive);
    EXPECT_FALSE(
        parse_done("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").request.keep_alive);
    EXPECT_FALSE(parse_done("GET / HTTP/1.0\r\nConnection: keepalive\r\n\r\n").request.keep_alive);
}

TEST(HttpParser, ExpectContinue) {
    EXPECT_TRUE(parse_done(get_with("Host: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"))
                    .request.expect_continue);
    EXPECT_TRUE(
        parse_done(get_with("Host: h\r\nexpect: 100-Continue\r\n")).request.expect_continue);
    // Other expectations are ignored, and HTTP/1.0 clients get no 100 (RFC 9110 10.1.1).
    Parsed other = parse_done(get_with("Host: h\r\nExpect: something-else\r\n"));
    EXPECT_FALSE(other.request.expect_continue);
    EXPECT_FALSE(
        parse_done(get_with("Expect: 100-continue\r\n", "HTTP/1.0")).request.expect_continue);
}

// --- Real clients -----------------------------------------------------------------------------

TEST(HttpParser, ApacheBenchRequest) {
    std::string input =
        "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 10.77.0.2\r\n"
        "User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n";
    Parsed p = parse_done(input);
    const Request& r = p.request;
    EXPECT_EQ(p.head_length, input.size());
    EXPECT_EQ(r.method, Method::Get);
    EXPECT_EQ(r.path, "/");
    EXPECT_EQ(r.version, Version::Http10);
    EXPECT_EQ(r.host, "10.77.0.2");
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.framing, BodyFraming::None);
    EXPECT_EQ(r.header_count, 4u);
    EXPECT_EQ(r.header("user-agent"), "ApacheBench/2.3");
    EXPECT_EQ(r.header("Accept"), "*/*");
    // ab without -k.
    std::string plain =
        "GET / HTTP/1.0\r\nHost: 10.77.0.2\r\nUser-Agent: ApacheBench/2.3\r\n"
        "Accept: */*\r\n\r\n";
    EXPECT_FALSE(parse_done(plain).request.keep_alive);
}

TEST(HttpParser, CurlRequests) {
    Parsed get = parse_done(
        "GET /status.json?verbose=1 HTTP/1.1\r\nHost: 10.77.0.2:8080\r\n"
        "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
    EXPECT_EQ(get.request.path, "/status.json");
    EXPECT_EQ(get.request.query, "verbose=1");
    EXPECT_EQ(get.request.host, "10.77.0.2:8080");
    EXPECT_TRUE(get.request.keep_alive);

    std::string post =
        "POST /echo HTTP/1.1\r\nHost: 10.77.0.2\r\nUser-Agent: curl/7.88.1\r\n"
        "Accept: */*\r\nContent-Length: 11\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\nhello=world";
    Parsed p = parse_done(post);
    EXPECT_EQ(p.request.method, Method::Post);
    EXPECT_EQ(p.request.framing, BodyFraming::ContentLength);
    EXPECT_EQ(p.head_length, post.size() - 11);
    Decoded body = decode(p.request, std::string_view(post).substr(p.head_length));
    EXPECT_EQ(body.status, ParseStatus::Done);
    EXPECT_EQ(body.body, "hello=world");

    // curl -T - (chunked upload, with Expect on large bodies).
    std::string upload =
        "PUT /file HTTP/1.1\r\nHost: 10.77.0.2\r\nUser-Agent: curl/7.88.1\r\n"
        "Accept: */*\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        "4\r\nabcd\r\n0\r\n\r\n";
    Parsed put = parse_done(upload);
    EXPECT_EQ(put.request.framing, BodyFraming::Chunked);
    EXPECT_TRUE(put.request.expect_continue);
    Decoded chunked = decode(put.request, std::string_view(upload).substr(put.head_length));
    EXPECT_EQ(chunked.status, ParseStatus::Done);
    EXPECT_EQ(chunked.body, "abcd");
}

TEST(HttpParser, WrkRequest) {
    // wrk's pipelined requests: one head after the other.
    std::string one = "GET / HTTP/1.1\r\nHost: 10.77.0.2:80\r\n\r\n";
    std::string input = one + one + one;
    HeadParser parser;
    size_t start = 0;
    for (int i = 0; i < 3; ++i) {
        parser.reset();
        Request request;
        ASSERT_EQ(parser.parse(std::string_view(input).substr(start), request), ParseStatus::Done);
        EXPECT_EQ(parser.head_length(), one.size());
        EXPECT_EQ(request.host, "10.77.0.2:80");
        EXPECT_EQ(request.target.data(), input.data() + start + 4);
        start += parser.head_length();
    }
    EXPECT_EQ(start, input.size());
}

TEST(HttpParser, BrowserRequest) {
    Parsed p = parse_done(
        "GET /app.js HTTP/1.1\r\nHost: 10.77.0.2\r\nConnection: keep-alive\r\n"
        "sec-ch-ua: \"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"24\"\r\nsec-ch-ua-mobile: ?0\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.0.0 Safari/537.36\r\nsec-ch-ua-platform: \"Linux\"\r\n"
        "Accept: */*\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: no-cors\r\n"
        "Sec-Fetch-Dest: script\r\nReferer: http://10.77.0.2/\r\n"
        "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n"
        "If-None-Match: \"abc123\"\r\n\r\n");
    EXPECT_EQ(p.request.header_count, 14u);
    EXPECT_EQ(p.request.header("if-none-match"), "\"abc123\"");
    EXPECT_EQ(p.request.header("sec-ch-ua"), "\"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"24\"");
}

// --- Parser lifecycle -------------------------------------------------------------------------

TEST(HttpParser, PipelinedRequestsWithBodies) {
    std::string first = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    std::string second =
        "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n";
    std::string third = "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    std::string input = first + second + third;

    HeadParser parser;
    std::string_view rest = input;
    std::vector<std::string> bodies;
    std::vector<std::string> paths;
    while (!rest.empty()) {
        Request request;
        parser.reset();
        ASSERT_EQ(parser.parse(rest, request), ParseStatus::Done);
        paths.emplace_back(request.path);
        rest.remove_prefix(parser.head_length());
        Decoded body = decode(request, rest);
        ASSERT_EQ(body.status, ParseStatus::Done);
        bodies.push_back(body.body);
        rest.remove_prefix(body.consumed);
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b", "/c"}));
    EXPECT_EQ(bodies, (std::vector<std::string>{"hello", "abcde", ""}));
}

TEST(HttpParser, AfterDoneAndAfterErrorTheResultStays) {
    HeadParser parser;
    Request request;
    std::string input = "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next";
    ASSERT_EQ(parser.parse(input, request), ParseStatus::Done);
    size_t head = parser.head_length();
    EXPECT_EQ(parser.parse(input + " HTTP/1.1\r\n", request), ParseStatus::Done);
    EXPECT_EQ(parser.head_length(), head);
    EXPECT_EQ(request.path, "/");

    HeadParser failing;
    ASSERT_EQ(failing.parse("GET  /", request), ParseStatus::Error);
    EXPECT_EQ(failing.error().status, 400);
    EXPECT_STRNE(failing.error().reason, "");
    EXPECT_EQ(failing.parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", request), ParseStatus::Error);
    EXPECT_EQ(failing.error().status, 400);

    // Errors found at the end of a target, a request line, a field: all stay.
    for (std::string_view bad :
         {"GET * HTTP/1.1\r\n", "GET / HTTP/9.9\r\n", "GET / HTTP/9.9\n",
          "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\n"}) {
        HeadParser parser_of_bad;
        std::string more = std::string(bad) + "X: y\r\n\r\n";
        ASSERT_EQ(parser_of_bad.parse(bad, request), ParseStatus::Error) << bad;
        uint16_t status = parser_of_bad.error().status;
        EXPECT_EQ(parser_of_bad.parse(bad, request), ParseStatus::Error) << bad;
        EXPECT_EQ(parser_of_bad.parse(more, request), ParseStatus::Error) << bad;
        EXPECT_EQ(parser_of_bad.error().status, status);
    }

    // reset() makes a failed parser usable again.
    failing.reset();
    EXPECT_EQ(failing.parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", request), ParseStatus::Done);
    EXPECT_EQ(failing.error().status, 0);
}

TEST(HttpParser, ResetClearsEveryDerivedField) {
    HeadParser parser;
    Request request;
    ASSERT_EQ(parser.parse("POST http://a/x?q HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                           "Connection: close\r\nExpect: 100-continue\r\n\r\n",
                           request),
              ParseStatus::Done);
    parser.reset();
    // The next request on the same Request object inherits nothing.
    ASSERT_EQ(parser.parse("GET /y HTTP/1.1\r\nHost: h\r\n\r\n", request), ParseStatus::Done);
    EXPECT_EQ(request.host, "h");
    EXPECT_EQ(request.query, "");
    EXPECT_EQ(request.framing, BodyFraming::None);
    EXPECT_EQ(request.content_length, 0u);
    EXPECT_TRUE(request.keep_alive);
    EXPECT_FALSE(request.expect_continue);
    EXPECT_EQ(request.header_count, 1u);
}

TEST(HttpParser, EveryPrefixOfManyRequestsParsesAlike) {
    // parse() compares whole, byte-by-byte, random and moving-buffer parses of each.
    const char* requests[] = {
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "\r\n\r\nPOST /x?y HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        "GET http://h:1/p?q HTTP/1.1\r\nHost: x\r\nA:  b  \r\n\r\n",
        "PUT /u HTTP/1.1\nHost: h\nTransfer-Encoding: gzip, chunked\n\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: \x80\xff\r\nY:\t\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n Fold\r\n\r\n",
        "OPTIONS * HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    };
    for (const char* request : requests) {
        SCOPED_TRACE(request);
        Parsed p = parse(request);
        EXPECT_NE(p.status, ParseStatus::NeedMore);
    }
}

// --- Body decoding ----------------------------------------------------------------------------

TEST(HttpBody, NoBodyIsDoneAtOnce) {
    BodyDecoder none(framed(BodyFraming::None));
    EXPECT_TRUE(none.done());
    BodyDecoder::Step step;
    EXPECT_EQ(none.decode("GET / HTTP/1.1\r\n", step), ParseStatus::Done);
    EXPECT_EQ(step.consumed, 0u);
    EXPECT_TRUE(step.data.empty());

    BodyDecoder zero(framed(BodyFraming::ContentLength, 0));
    EXPECT_TRUE(zero.done());
    EXPECT_EQ(zero.decode("next", step), ParseStatus::Done);
    EXPECT_EQ(step.consumed, 0u);
}

TEST(HttpBody, ContentLength) {
    Decoded d = decode(framed(BodyFraming::ContentLength, 5), "helloGET / HTTP/1.1");
    EXPECT_EQ(d.status, ParseStatus::Done);
    EXPECT_EQ(d.body, "hello");
    EXPECT_EQ(d.consumed, 5u);
    Decoded partial = decode(framed(BodyFraming::ContentLength, 10), "hello");
    EXPECT_EQ(partial.status, ParseStatus::NeedMore);
    EXPECT_EQ(partial.body, "hello");

    // One call returns one view into its input.
    BodyDecoder decoder(framed(BodyFraming::ContentLength, 8));
    BodyDecoder::Step step;
    std::string_view input = "abcdefghij";
    EXPECT_EQ(decoder.decode(input.substr(0, 3), step), ParseStatus::NeedMore);
    EXPECT_EQ(step.data.data(), input.data());
    EXPECT_EQ(step.consumed, 3u);
    EXPECT_EQ(decoder.decode(input.substr(3), step), ParseStatus::Done);
    EXPECT_EQ(step.data, "defgh");
    EXPECT_EQ(step.consumed, 5u);
    EXPECT_EQ(decoder.body_bytes(), 8u);
    EXPECT_EQ(decoder.decode(input.substr(8), step), ParseStatus::Done);
    EXPECT_EQ(step.consumed, 0u);
}

TEST(HttpBody, ContentLengthOverTheLimit) {
    Limits limits;
    limits.body_bytes = 100;
    EXPECT_EQ(decode(framed(BodyFraming::ContentLength, 100), repeat('x', 100), limits).status,
              ParseStatus::Done);
    Decoded over = decode(framed(BodyFraming::ContentLength, 101), repeat('x', 101), limits);
    EXPECT_EQ(over.status, ParseStatus::Error);
    EXPECT_EQ(over.error, 413);
}

TEST(HttpBody, Chunked) {
    Decoded d = decode_chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
    EXPECT_EQ(d.status, ParseStatus::Done);
    EXPECT_EQ(d.body, "hello world");
    EXPECT_EQ(d.consumed, 26u);
    // Hex sizes in either case, leading zeros, bare LF line ends.
    EXPECT_EQ(decode_chunked("A\r\n0123456789\r\n00a\r\nabcdefghij\r\n000\r\n\r\n").body,
              "0123456789abcdefghij");
    EXPECT_EQ(decode_chunked("3\nabc\n0\n\n").body, "abc");
    Decoded empty = decode_chunked("0\r\n\r\n");
    EXPECT_EQ(empty.status, ParseStatus::Done);
    EXPECT_EQ(empty.body, "");
    EXPECT_EQ(empty.consumed, 5u);
    EXPECT_EQ(decode_chunked("5\r\nhel").status, ParseStatus::NeedMore);
    EXPECT_EQ(decode_chunked("5\r\nhello\r\n0\r\n").status, ParseStatus::NeedMore);
}

TEST(HttpBody, ChunkedOnePiecePerCall) {
    BodyDecoder decoder(framed(BodyFraming::Chunked));
    std::string_view input = "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\nrest";
    BodyDecoder::Step step;
    EXPECT_EQ(decoder.decode(input, step), ParseStatus::NeedMore);
    EXPECT_EQ(step.data, "ab");
    EXPECT_EQ(step.consumed, 10u);  // up to the next chunk's data
    input.remove_prefix(step.consumed);
    EXPECT_EQ(decoder.decode(input, step), ParseStatus::Done);  // the last piece and the end
    EXPECT_EQ(step.data, "cde");
    EXPECT_EQ(input.substr(step.consumed), "rest");
    EXPECT_EQ(decoder.body_bytes(), 5u);
}

TEST(HttpBody, ChunkExtensions) {
    EXPECT_EQ(decode_chunked("5;name=value\r\nhello\r\n0;last\r\n\r\n").body, "hello");
    EXPECT_EQ(decode_chunked("5 ; a=\"q;\\\"x\" ;b\r\nhello\r\n0\r\n\r\n").body, "hello");
    EXPECT_EQ(decode_chunked("5 \r\nhello\r\n0\r\n\r\n").body, "hello");
    expect_errors(chunked_error, 400,
                  {
                      "5 6\r\nhello\r\n0\r\n\r\n",
                      "5;a\x01\r\nhello\r\n0\r\n\r\n",
                  });
    // Extension bytes of the whole body are bounded.
    std::string fits = "1;" + repeat('e', kMaxChunkExtensionBytes - 1) + "\r\nx\r\n0\r\n\r\n";
    EXPECT_EQ(decode_chunked(fits).body, "x");
    std::string over = "1;" + repeat('e', kMaxChunkExtensionBytes / 2) + "\r\nx\r\n0;" +
                       repeat('e', kMaxChunkExtensionBytes / 2) + "\r\n\r\n";
    EXPECT_EQ(chunked_error(over), 400);
}

TEST(HttpBody, ChunkedTrailers) {
    Decoded d = decode_chunked("3\r\nabc\r\n0\r\nChecksum: 123\r\nX-T:\tv \r\n\r\nnext");
    EXPECT_EQ(d.status, ParseStatus::Done);
    EXPECT_EQ(d.body, "abc");
    EXPECT_EQ(d.consumed, std::strlen("3\r\nabc\r\n0\r\nChecksum: 123\r\nX-T:\tv \r\n\r\n"));
    expect_errors(chunked_error, 400,
                  {
                      "0\r\nBad Name: v\r\n\r\n",
                      "0\r\n: v\r\n\r\n",
                      "0\r\nX: a\r\n folded\r\n\r\n",
                      "0\r\nX: a\x01\r\n\r\n",
                      "0\r\nX: a\rb\r\n\r\n",
                      "0\r\n\rX",
                  });
}

TEST(HttpBody, ChunkedTrailerLimit) {
    Limits limits;
    limits.header_bytes = 100;
    std::string trailer_fits = "X: " + repeat('v', 100 - 7) + "\r\n\r\n";  // 100 bytes
    ASSERT_EQ(trailer_fits.size(), 100u);
    EXPECT_EQ(decode_chunked("0\r\n" + trailer_fits, limits).status, ParseStatus::Done);
    std::string trailer_over = "X: " + repeat('v', 100 - 6) + "\r\n\r\n";
    EXPECT_EQ(chunked_error("0\r\n" + trailer_over, limits), 431);
    // Endless trailer fields end too.
    EXPECT_EQ(chunked_error("0\r\n" + repeat('X', 101), limits), 431);
}

TEST(HttpBody, ChunkedFramingErrors) {
    expect_errors(chunked_error, 400,
                  {
                      "g\r\n",
                      "\r\n",
                      ";x\r\n",
                      " 5\r\nhello\r\n",
                      "-5\r\nhello\r\n",
                      "0x5\r\nhello\r\n",
                      "5\rhello\r\n",
                      "5\r\nhelloX\r\n0\r\n\r\n",  // data longer than its size
                      "5\r\nhello\rX0\r\n\r\n",
                      "5\r\nhello0\r\n\r\n",
                  });
    // A stray byte in place of the CRLF, then what would be a valid chunk.
    expect_errors(chunked_error, 400,
                  {
                      "3\r\nabcX1\r\nd\r\n0\r\n\r\n", "3\r\nabc\rX1\r\nd\r\n0\r\n\r\n",
                      "5\r\nhello\r\n\r\n",  // a size line is due
                  });
    // 16 hex digits at most, leading zeros included.
    EXPECT_EQ(decode_chunked(repeat('0', 15) + "1\r\nx\r\n0\r\n\r\n").body, "x");
    EXPECT_EQ(chunked_error(repeat('0', 16) + "1\r\nx\r\n0\r\n\r\n"), 400);
}

TEST(HttpBody, ChunkedBodyLimit) {
    Limits limits;
    limits.body_bytes = 10;
    EXPECT_EQ(decode_chunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits).body, "helloworld");
    EXPECT_EQ(chunked_error("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", limits), 413);
    // Known from the size line, before the data arrives; a huge size cannot overflow.
    BodyDecoder decoder(framed(BodyFraming::Chunked), limits);
    BodyDecoder::Step step;
    EXPECT_EQ(decoder.decode("b", step), ParseStatus::Error);
    EXPECT_EQ(decoder.error().status, 413);
    EXPECT_EQ(decoder.decode("\r\n", step), ParseStatus::Error);  // and stays failed
    EXPECT_EQ(chunked_error("ffffffffffffffff\r\n"), 413);
}

TEST(HttpBody, EveryByteBoundaryOfChunkedBodies) {
    // decode() compares the whole, byte-by-byte and random-piece results of each.
    const char* bodies[] = {
        "1\r\na\r\n2;x\r\nbc\r\n3 ;y=\"z\"\r\ndef\r\n0\r\nT1: a\r\nT2: b\r\n\r\nnext",
        "10\r\n0123456789abcdef\r\n0\n\n",
        "4\r\nab\r\n\r\n0\r\n\r\n",  // CRLF inside the data is data
        "2\r\nab\r\n0\r\nX: y\r\n",  // incomplete trailers
        "2\r\nabc\r\n",              // an error partway
    };
    std::vector<std::string> results;
    for (const char* body : bodies) {
        SCOPED_TRACE(body);
        Decoded d = decode_chunked(body);
        results.push_back(d.body + "/" + std::to_string(static_cast<int>(d.status)));
    }
    EXPECT_EQ(results, (std::vector<std::string>{"abcdef/1", "0123456789abcdef/1", "ab\r\n/1",
                                                 "ab/0", "/2"}));
}
