// Redis reply parsing (the client's side): ReplyParser on every RESP2 and RESP3 type whole,
// split at every byte, byte by byte and in random pieces, with the buffer moved between calls
// (all must parse alike); nesting, attributes, every limit and every malformed form; errors as
// values; reading replies through ReplyValue; and the commands a client encodes.
#include "apps/redis/command_encoder.hpp"
#include "apps/redis/reply_parser.hpp"

#include "apps/redis/reply_value.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/incremental_parse.hpp"

#include "tests/unit/string_sink.hpp"

using namespace coronet;
using namespace coronet::redis;
using namespace std::literals;

namespace {

std::string printable(std::string_view bytes) {
    std::string out;
    for (char c : bytes) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\\') out += "\\\\";
        else if (u >= 0x20 && u < 0x7f) out += c;
        else out += "\\x" + std::string(1, "0123456789abcdef"[u >> 4]) + "0123456789abcdef"[u & 15];
    }
    return out;
}

// A reply as text, one form per kind, so two parses compare (and a test reads) as strings:
// "*[$a, :1, _]", "%{+k: #t}", "-ERR x".
std::string render(const ReplyValue& value) {
    auto children = [&](const char* open, const char* close, bool pairs) {
        std::string out = open;
        size_t k = 0;
        for (ReplyValue child : value) {
            if (k > 0) out += pairs && k % 2 == 1 ? ": " : ", ";
            out += render(child);
            ++k;
        }
        EXPECT_EQ(k, value.size());
        return out + close;
    };
    switch (value.kind()) {
    case ReplyKind::Simple: return "+" + printable(value.text());
    case ReplyKind::Error: return "-" + printable(value.text());
    case ReplyKind::Integer: return ":" + std::to_string(value.integer());
    case ReplyKind::Bulk: return "$" + printable(value.text());
    case ReplyKind::Verbatim:
        return "=" + std::string(value.verbatim_format()) + ":" + printable(value.text());
    case ReplyKind::Double: return "," + std::string(value.text());
    case ReplyKind::BigNumber: return "(" + std::string(value.text());
    case ReplyKind::Boolean: return value.boolean() ? "#t" : "#f";
    case ReplyKind::Null: return "_";
    case ReplyKind::Array: return children("*[", "]", false);
    case ReplyKind::Map: return children("%{", "}", true);
    case ReplyKind::Set: return children("~{", "}", false);
    case ReplyKind::Push: return children(">[", "]", false);
    }
    return "?";
}

// Everything a parse produced, comparable across ways of feeding it.
struct Outcome {
    ParseStatus status = ParseStatus::NeedMore;
    ReplyError error = ReplyError::None;
    size_t length = 0;  // reply_length() when Done
    std::string reply;  // render() when Done

    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
    switch (o.status) {
    case ParseStatus::NeedMore: return out << "need more";
    case ParseStatus::Error: return out << "error (" << reply_error_name(o.error) << ")";
    case ParseStatus::Done: return out << "done " << o.length << " " << o.reply;
    }
    return out;
}

Outcome describe(ParseStatus status, const ReplyParser& parser, std::string_view buffer) {
    Outcome o;
    o.status = status;
    if (status == ParseStatus::Error) o.error = parser.error();
    if (status != ParseStatus::Done) return o;
    o.length = parser.reply_length();
    EXPECT_LE(o.length, buffer.size());
    EXPECT_GE(parser.node_count(), 1u);
    // The root's subtree is every node.
    EXPECT_EQ(parser.nodes()[0].span, parser.node_count());
    o.reply = render(parser.value(buffer.data()));
    return o;
}

// The reply parser as incremental_parse.hpp feeds it.
struct Session {
    ReplyParser parser;
    ParseStatus feed(std::string_view buffer) { return parser.parse(buffer); }
    Outcome outcome(ParseStatus status, std::string_view buffer) const {
        return describe(status, parser, buffer);
    }
};

// Parses `input` whole, and checks that it parses the same split in two at every byte, byte by
// byte and in random pieces, each with the buffer in place and moving.
Outcome parse(std::string_view input, const ReplyLimits& limits = {}) {
    SCOPED_TRACE(printable(input));
    return coronet::splits::expect_alike_when_split(input,
                                                    [&] { return Session{ReplyParser(limits)}; });
}

// For inputs too long to split at every byte: whole, and in random pieces.
Outcome parse_long(std::string_view input, const ReplyLimits& limits = {}) {
    return coronet::splits::expect_alike_when_split(
        input, [&] { return Session{ReplyParser(limits)}; },
        {.every_split = false, .byte_by_byte = false, .largest_piece = 4096});
}

// The rendered reply of a complete `input` (which must be exactly one reply).
std::string reply_of(std::string_view input, const ReplyLimits& limits = {}) {
    Outcome o = parse(input, limits);
    EXPECT_EQ(o.status, ParseStatus::Done) << printable(input) << ": " << o;
    EXPECT_EQ(o.length, input.size()) << printable(input);
    return o.reply;
}

ReplyError error_of(std::string_view input, const ReplyLimits& limits = {}) {
    Outcome o = parse(input, limits);
    EXPECT_EQ(o.status, ParseStatus::Error) << printable(input) << ": " << o;
    return o.error;
}

// A parser holding one complete reply, for tests that read it through ReplyValue.
struct Parsed {
    explicit Parsed(std::string bytes_, const ReplyLimits& limits = {})
        : bytes(std::move(bytes_)), parser(limits) {
        EXPECT_EQ(parser.parse(bytes), ParseStatus::Done) << printable(bytes);
    }
    ReplyValue value() const { return parser.value(bytes.data()); }

    std::string bytes;
    ReplyParser parser;
};

ReplyLimits small_limits() {
    ReplyLimits limits;
    limits.max_bulk_length = 8;
    limits.max_reply_bytes = 64;
    limits.max_elements = 6;
    limits.max_depth = 3;
    limits.max_line_length = 10;
    return limits;
}

}  // namespace

// --- RESP2 types ----------------------------------------------------------------------------

TEST(RedisReplyParser, SimpleStrings) {
    EXPECT_EQ(reply_of("+OK\r\n"), "+OK");
    EXPECT_EQ(reply_of("+\r\n"), "+");
    EXPECT_EQ(reply_of("+PONG with spaces\r\n"), "+PONG with spaces");
    EXPECT_EQ(reply_of("+\xff\x01\r\n"), "+\\xff\\x01");
}

TEST(RedisReplyParser, Integers) {
    EXPECT_EQ(reply_of(":0\r\n"), ":0");
    EXPECT_EQ(reply_of(":1000\r\n"), ":1000");
    EXPECT_EQ(reply_of(":-42\r\n"), ":-42");
    EXPECT_EQ(reply_of(":+7\r\n"), ":7");
    EXPECT_EQ(reply_of(":9223372036854775807\r\n"), ":9223372036854775807");
    EXPECT_EQ(reply_of(":-9223372036854775808\r\n"), ":-9223372036854775808");
    EXPECT_EQ(error_of(":9223372036854775808\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of(":-9223372036854775809\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of(":\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of(":-\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of(":12a\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of(": 1\r\n"), ReplyError::BadNumber);
}

TEST(RedisReplyParser, BulkStrings) {
    EXPECT_EQ(reply_of("$5\r\nhello\r\n"), "$hello");
    EXPECT_EQ(reply_of("$0\r\n\r\n"), "$");
    EXPECT_EQ(reply_of("$-1\r\n"), "_");  // RESP2's null bulk string
    // Binary-safe: the data is counted, never looked at (CRLF and NUL inside).
    EXPECT_EQ(reply_of("$6\r\na\r\n\0b\n\r\n"sv), "$a\\x0d\\x0a\\x00b\\x0a");
    EXPECT_EQ(reply_of("$3\r\n$3\r\r\n"), "$$3\\x0d");
}

TEST(RedisReplyParser, Arrays) {
    EXPECT_EQ(reply_of("*0\r\n"), "*[]");
    EXPECT_EQ(reply_of("*-1\r\n"), "_");  // RESP2's null array
    EXPECT_EQ(reply_of("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"), "*[$foo, $bar]");
    EXPECT_EQ(reply_of("*5\r\n:1\r\n+two\r\n$-1\r\n-ERR x\r\n*0\r\n"),
              "*[:1, +two, _, -ERR x, *[]]");
}

// --- RESP3 types ----------------------------------------------------------------------------

TEST(RedisReplyParser, Resp3Scalars) {
    EXPECT_EQ(reply_of("_\r\n"), "_");
    EXPECT_EQ(reply_of("#t\r\n"), "#t");
    EXPECT_EQ(reply_of("#f\r\n"), "#f");
    EXPECT_EQ(reply_of(",3.14\r\n"), ",3.14");
    EXPECT_EQ(reply_of(",-1\r\n"), ",-1");
    EXPECT_EQ(reply_of(",1.5e10\r\n"), ",1.5e10");
    EXPECT_EQ(reply_of(",2E-3\r\n"), ",2E-3");
    EXPECT_EQ(reply_of(",inf\r\n"), ",inf");
    EXPECT_EQ(reply_of(",-inf\r\n"), ",-inf");
    EXPECT_EQ(reply_of(",nan\r\n"), ",nan");
    EXPECT_EQ(reply_of("(3492890328409238509324850943850943825024385\r\n"),
              "(3492890328409238509324850943850943825024385");
    EXPECT_EQ(reply_of("(-12\r\n"), "(-12");
    EXPECT_EQ(reply_of("!21\r\nSYNTAX invalid syntax\r\n"), "-SYNTAX invalid syntax");
    EXPECT_EQ(reply_of("=15\r\ntxt:Some string\r\n"), "=txt:Some string");
    EXPECT_EQ(reply_of("=4\r\nmkd:\r\n"), "=mkd:");
}

TEST(RedisReplyParser, Resp3ScalarsMalformed) {
    EXPECT_EQ(error_of("_x\r\n"), ReplyError::BadNull);
    EXPECT_EQ(error_of("#x\r\n"), ReplyError::BadBoolean);
    EXPECT_EQ(error_of("#\r\n"), ReplyError::BadBoolean);
    EXPECT_EQ(error_of("#tt\r\n"), ReplyError::BadBoolean);
    for (const char* bad :
         {",\r\n", ",1.2.3\r\n", ",e5\r\n", ",1e\r\n", ",.\r\n", ",infinity\r\n", ",1 \r\n"})
        EXPECT_EQ(error_of(bad), ReplyError::BadNumber) << bad;
    EXPECT_EQ(error_of("(\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of("(1.5\r\n"), ReplyError::BadNumber);
    EXPECT_EQ(error_of("=3\r\ntxt\r\n"), ReplyError::BadVerbatim);
    EXPECT_EQ(error_of("=5\r\ntxt-x\r\n"), ReplyError::BadVerbatim);
    EXPECT_EQ(error_of("!-1\r\n"), ReplyError::BadLength);  // only $ and * have RESP2 nulls
    EXPECT_EQ(error_of("=-1\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("%-1\r\n"), ReplyError::BadLength);
}

TEST(RedisReplyParser, MapsSetsAndPushes) {
    EXPECT_EQ(reply_of("%0\r\n"), "%{}");
    EXPECT_EQ(reply_of("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"), "%{+first: :1, +second: :2}");
    EXPECT_EQ(reply_of("~3\r\n+a\r\n+b\r\n+c\r\n"), "~{+a, +b, +c}");
    EXPECT_EQ(reply_of(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"),
              ">[$message, $news, $hello]");
    // HELLO 3's answer, as redis-server 7 gives it.
    std::string hello =
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:"
        "3\r\n"
        "$2\r\nid\r\n:5\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
        "$7\r\nmodules\r\n*0\r\n";
    EXPECT_EQ(reply_of(hello),
              "%{$server: $redis, $version: $7.0.15, $proto: :3, $id: :5, $mode: $standalone, "
              "$role: $master, $modules: *[]}");
}

TEST(RedisReplyParser, AttributesAreSkipped) {
    // Before a top-level value: the reply is the value.
    EXPECT_EQ(reply_of("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
                       "*2\r\n:2039123\r\n:9543892\r\n"),
              "*[:2039123, :9543892]");
    // Before an element: not an element itself.
    EXPECT_EQ(reply_of("*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nx\r\n:7\r\n"), "*[$x, :7]");
    // Nested (the inner one describes the outer one's value), empty, one after another.
    EXPECT_EQ(reply_of("|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n+d\r\n+e\r\n"), "+e");
    EXPECT_EQ(reply_of("|0\r\n:1\r\n"), ":1");
    EXPECT_EQ(reply_of("|0\r\n|1\r\n+a\r\n+b\r\n$1\r\nz\r\n"), "$z");
    // An attribute alone is not a reply.
    EXPECT_EQ(parse("|1\r\n+a\r\n+b\r\n").status, ParseStatus::NeedMore);
}

TEST(RedisReplyParser, Nesting) {
    EXPECT_EQ(reply_of("*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n%1\r\n+k\r\n~1\r\n_\r\n"),
              "*[*[:1, :2], *[%{+k: ~{_}}]]");
    // XREAD-shaped: stream, entries, each an id and its fields.
    EXPECT_EQ(
        reply_of("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
        "*[*[$s, *[*[$1-0, *[$f, $v]]]]]");
    // Empty and null aggregates close at once, inside others too.
    EXPECT_EQ(reply_of("*3\r\n*0\r\n*-1\r\n%0\r\n"), "*[*[], _, %{}]");
    EXPECT_EQ(reply_of("*1\r\n*1\r\n*1\r\n*0\r\n"), "*[*[*[*[]]]]");
}

// --- Errors are values ----------------------------------------------------------------------

TEST(RedisReplyParser, ErrorsAreValues) {
    Parsed wrongtype("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    ReplyValue v = wrongtype.value();
    EXPECT_TRUE(v.is_error());
    EXPECT_EQ(v.error_code(), "WRONGTYPE");
    EXPECT_EQ(v.error_message(), "Operation against a key holding the wrong kind of value");

    Parsed err("-ERR unknown command 'FOO'\r\n");
    EXPECT_EQ(err.value().error_code(), "ERR");
    EXPECT_EQ(err.value().error_message(), "unknown command 'FOO'");

    Parsed bare("-NOAUTH\r\n");
    EXPECT_EQ(bare.value().error_code(), "NOAUTH");
    EXPECT_EQ(bare.value().error_message(), "");

    Parsed bulk_error("!21\r\nSYNTAX invalid syntax\r\n");
    EXPECT_TRUE(bulk_error.value().is_error());
    EXPECT_EQ(bulk_error.value().error_code(), "SYNTAX");
    EXPECT_EQ(bulk_error.value().error_message(), "invalid syntax");

    // An error inside a transaction's answer is an element like any other.
    Parsed exec("*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n");
    EXPECT_TRUE(exec.value()[0].is_ok());
    EXPECT_EQ(exec.value()[1].error_code(), "ERR");

    Parsed ok("+OK\r\n");
    EXPECT_EQ(ok.value().error_code(), "");
    EXPECT_EQ(ok.value().error_message(), "");
}

// --- Malformed ------------------------------------------------------------------------------

TEST(RedisReplyParser, Malformed) {
    EXPECT_EQ(error_of("x\r\n"), ReplyError::UnknownType);
    EXPECT_EQ(error_of("\r\n"), ReplyError::UnknownType);
    EXPECT_EQ(error_of("OK\r\n"), ReplyError::UnknownType);
    EXPECT_EQ(error_of(";4\r\nHell\r\n"), ReplyError::UnknownType);  // streamed chunks
    EXPECT_EQ(error_of("$?\r\n"), ReplyError::BadLength);            // streamed string
    EXPECT_EQ(error_of("*?\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("$\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("$-2\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("$+3\r\nabc\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("*-2\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("*1x\r\n"), ReplyError::BadLength);
    EXPECT_EQ(error_of("+OK\n"), ReplyError::BadLineEnd);
    EXPECT_EQ(error_of("+O\nK\r\n"), ReplyError::BadLineEnd);
    EXPECT_EQ(error_of("+OK\rX"), ReplyError::BadLineEnd);
    EXPECT_EQ(error_of(":1\r\r\n"), ReplyError::BadLineEnd);
    EXPECT_EQ(error_of("$3\r\nabcd\r\n"), ReplyError::BadBulkEnd);
    EXPECT_EQ(error_of("$3\r\nab\r\n\r\n"), ReplyError::BadBulkEnd);
    EXPECT_EQ(error_of("$3\r\nabc\rx"), ReplyError::BadBulkEnd);
    EXPECT_EQ(error_of("*2\r\n:1\r\nfoo\r\n"), ReplyError::UnknownType);
}

TEST(RedisReplyParser, Incomplete) {
    for (const char* partial :
         {"", "+", "+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n",
          "%1\r\n+k\r\n", "|1\r\n+a\r\n+b\r\n", "*1\r\n*1\r\n"})
        EXPECT_EQ(parse(partial).status, ParseStatus::NeedMore) << printable(partial);
}

// --- Limits ---------------------------------------------------------------------------------

TEST(RedisReplyParser, BulkLengthLimit) {
    ReplyLimits limits = small_limits();
    EXPECT_EQ(reply_of("$8\r\n12345678\r\n", limits), "$12345678");
    // Refused on the length alone, before any data.
    EXPECT_EQ(error_of("$9\r\n", limits), ReplyError::BulkTooLong);
    EXPECT_EQ(error_of("!9\r\n", limits), ReplyError::BulkTooLong);
    EXPECT_EQ(error_of("=9\r\n", limits), ReplyError::BulkTooLong);
    EXPECT_EQ(error_of("$99999999999999999999999999\r\n"), ReplyError::BulkTooLong);
}

TEST(RedisReplyParser, ReplyBytesLimit) {
    ReplyLimits limits = small_limits();
    limits.max_bulk_length = 100;
    // 64 bytes exactly: "$54\r\n" (5) + 57 data + CRLF = 64.
    std::string fits = "$57\r\n" + std::string(57, 'x') + "\r\n";
    ASSERT_EQ(fits.size(), 64u);
    EXPECT_EQ(parse(fits, limits).status, ParseStatus::Done);
    // A length that cannot fit is refused at once.
    EXPECT_EQ(error_of("$58\r\n", limits), ReplyError::ReplyTooLarge);
    // Elements adding up: known only as the bytes pass the limit.
    std::string many = "*9\r\n";
    for (int k = 0; k < 9; ++k) many += "+1234567\r\n";
    limits.max_elements = 100;
    limits.max_depth = 3;
    EXPECT_EQ(error_of(many, limits), ReplyError::ReplyTooLarge);
    // Exactly at the limit and unfinished: more is needed, and the next byte fails it.
    std::string at_limit = many.substr(0, 64);
    EXPECT_EQ(parse(at_limit, limits).status, ParseStatus::NeedMore);
    // What follows a complete reply is not counted against it (a pipeline's next replies).
    EXPECT_EQ(parse(fits + "+next\r\n", limits).status, ParseStatus::Done);
}

TEST(RedisReplyParser, ElementLimit) {
    ReplyLimits limits = small_limits();  // 6 values, the reply itself included
    EXPECT_EQ(reply_of("*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n", limits), "*[:1, :2, :3, :4, :5]");
    // Refused on the count alone: nothing is spent on what was only announced.
    EXPECT_EQ(error_of("*6\r\n", limits), ReplyError::TooManyElements);
    EXPECT_EQ(error_of("%3\r\n", limits), ReplyError::TooManyElements);  // 6 keys and values
    EXPECT_EQ(reply_of("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", limits), "%{:1: :2, :3: :4}");
    EXPECT_EQ(error_of("*2\r\n*2\r\n:1\r\n:2\r\n*2\r\n", limits), ReplyError::TooManyElements);
    EXPECT_EQ(error_of("*99999999999999999999999\r\n"), ReplyError::TooManyElements);
    EXPECT_EQ(error_of("%9223372036854775807\r\n"), ReplyError::TooManyElements);
    // Attributes count too: skipped, but read.
    EXPECT_EQ(error_of("|3\r\n", limits), ReplyError::TooManyElements);
}

TEST(RedisReplyParser, DepthLimit) {
    ReplyLimits limits = small_limits();  // 3 aggregates open at once
    EXPECT_EQ(reply_of("*1\r\n*1\r\n*1\r\n:1\r\n", limits), "*[*[*[:1]]]");
    EXPECT_EQ(error_of("*1\r\n*1\r\n*1\r\n*1\r\n", limits), ReplyError::TooDeep);
    // An empty aggregate opens nothing.
    EXPECT_EQ(reply_of("*1\r\n*1\r\n*1\r\n*0\r\n", limits), "*[*[*[*[]]]]");
    EXPECT_EQ(error_of("|1\r\n*1\r\n*1\r\n*1\r\n", limits), ReplyError::TooDeep);
    // The default: 16.
    std::string deep;
    for (size_t k = 0; k < kReplyMaxDepth; ++k) deep += "*1\r\n";
    EXPECT_EQ(parse(deep + ":1\r\n").status, ParseStatus::Done);
    EXPECT_EQ(error_of(deep + "*1\r\n"), ReplyError::TooDeep);
}

TEST(RedisReplyParser, LineLimit) {
    ReplyLimits limits = small_limits();  // 10 bytes of line content
    EXPECT_EQ(reply_of("+1234567890\r\n", limits), "+1234567890");
    EXPECT_EQ(error_of("+12345678901\r\n", limits), ReplyError::LineTooLong);
    // Known before the line ends: the 11th content byte is enough.
    EXPECT_EQ(error_of("-12345678901", limits), ReplyError::LineTooLong);
    EXPECT_EQ(error_of(":000000000001\r\n", limits), ReplyError::LineTooLong);
    EXPECT_EQ(error_of("$00000000000\r\n", limits), ReplyError::LineTooLong);
    // Bulk data is not a line.
    EXPECT_EQ(reply_of("$8\r\n12345678\r\n", limits), "$12345678");
}

TEST(RedisReplyParser, EveryLimitIsNamed) {
    for (ReplyError e : {ReplyError::BulkTooLong, ReplyError::ReplyTooLarge,
                         ReplyError::TooManyElements, ReplyError::TooDeep, ReplyError::LineTooLong})
        EXPECT_TRUE(is_limit(e)) << reply_error_name(e);
    for (ReplyError e : {ReplyError::UnknownType, ReplyError::BadLength, ReplyError::BadNumber,
                         ReplyError::BadLineEnd, ReplyError::BadBulkEnd, ReplyError::OutOfMemory})
        EXPECT_FALSE(is_limit(e)) << reply_error_name(e);
}

// --- Pipelines, reuse, storage --------------------------------------------------------------

TEST(RedisReplyParser, PipelinedRepliesOneAfterAnother) {
    std::string stream = "+OK\r\n$3\r\nbar\r\n:42\r\n*2\r\n$1\r\na\r\n_\r\n-ERR no\r\n";
    std::vector<std::string> replies;
    ReplyParser parser;
    std::string_view rest = stream;
    while (!rest.empty()) {
        ASSERT_EQ(parser.parse(rest), ParseStatus::Done);
        replies.push_back(render(parser.value(rest.data())));
        rest.remove_prefix(parser.reply_length());
        parser.reset();
    }
    EXPECT_EQ(replies, (std::vector<std::string>{"+OK", "$bar", ":42", "*[$a, _]", "-ERR no"}));
}

TEST(RedisReplyParser, DoneAndErrorStay) {
    ReplyParser parser;
    EXPECT_EQ(parser.parse("+OK\r\n+more"), ParseStatus::Done);
    EXPECT_EQ(parser.parse("garbage"), ParseStatus::Done);
    parser.reset();
    EXPECT_EQ(parser.parse("?"), ParseStatus::Error);
    EXPECT_EQ(parser.parse("+OK\r\n"), ParseStatus::Error);
    EXPECT_EQ(parser.error(), ReplyError::UnknownType);
    parser.reset();
    EXPECT_EQ(parser.error(), ReplyError::None);
    EXPECT_EQ(parser.parse("+OK\r\n"), ParseStatus::Done);
}

TEST(RedisReplyParser, LargeRepliesGrowTheNodeArray) {
    // MGET of 1 000 keys: nodes on the heap past the inline ones, released on demand.
    std::string mget = "*1000\r\n";
    for (int k = 0; k < 1000; ++k) {
        std::string v = k % 7 == 0 ? "" : "value-" + std::to_string(k);
        mget += k % 7 == 0 ? "$-1\r\n" : "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
    }
    Outcome o = parse_long(mget);
    ASSERT_EQ(o.status, ParseStatus::Done);
    Parsed parsed(mget);
    ReplyValue v = parsed.value();
    ASSERT_EQ(v.size(), 1000u);
    size_t k = 0;
    for (ReplyValue item : v) {
        if (k % 7 == 0) EXPECT_TRUE(item.is_null());
        else EXPECT_EQ(item.text(), "value-" + std::to_string(k));
        ++k;
    }
    EXPECT_EQ(v[999].text(), "value-999");
    EXPECT_EQ(parsed.parser.node_count(), 1001u);
    parsed.parser.release();
    EXPECT_EQ(parsed.parser.node_count(), 0u);
}

TEST(RedisReplyParser, BigBulkInRandomPieces) {
    std::string value(1 << 20, '\0');
    std::mt19937 random(7);
    for (char& c : value) c = static_cast<char>(random());
    std::string reply = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    Outcome o = parse_long(reply);
    ASSERT_EQ(o.status, ParseStatus::Done);
    EXPECT_EQ(o.length, reply.size());
    Parsed parsed(reply);
    EXPECT_TRUE(parsed.value().text() == value);
}

// --- Reading through ReplyValue -------------------------------------------------------------

TEST(RedisReplyValue, NumbersFromAnyForm) {
    EXPECT_EQ(*Parsed(":-12\r\n").value().to_integer(), -12);
    EXPECT_EQ(*Parsed("$3\r\n123\r\n").value().to_integer(), 123);
    EXPECT_EQ(*Parsed("(99\r\n").value().to_integer(), 99);
    EXPECT_EQ(Parsed("$3\r\n1.5\r\n").value().to_integer().error(), Error::InvalidArgument);
    EXPECT_EQ(Parsed("_\r\n").value().to_integer().error(), Error::InvalidArgument);
    EXPECT_DOUBLE_EQ(*Parsed(",3.25\r\n").value().to_double(), 3.25);
    EXPECT_DOUBLE_EQ(*Parsed("$4\r\n10.5\r\n").value().to_double(), 10.5);
    EXPECT_DOUBLE_EQ(*Parsed(":4\r\n").value().to_double(), 4.0);
    EXPECT_TRUE(std::isinf(*Parsed(",-inf\r\n").value().to_double()));
    EXPECT_TRUE(std::isnan(*Parsed(",nan\r\n").value().to_double()));
    EXPECT_EQ(Parsed("*0\r\n").value().to_double().error(), Error::InvalidArgument);
    EXPECT_TRUE(Parsed("#t\r\n").value().boolean());
    EXPECT_FALSE(Parsed("#f\r\n").value().boolean());
}

TEST(RedisReplyValue, MapsAndTheirRespTwoArraysReadAlike) {
    Parsed resp3("%2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n$5\r\ncount\r\n:7\r\n");
    Parsed resp2("*4\r\n$5\r\nfield\r\n$5\r\nvalue\r\n$5\r\ncount\r\n$1\r\n7\r\n");
    for (const Parsed* p : {&resp3, &resp2}) {
        ReplyValue v = p->value();
        EXPECT_EQ(v.size(), 4u);
        EXPECT_EQ(v.find("field")->text(), "value");
        EXPECT_EQ(*v.find("count")->to_integer(), 7);
        EXPECT_EQ(v.find("missing").error(), Error::NotFound);
        EXPECT_EQ(v.find("value").error(), Error::NotFound);  // values are not keys
    }
    EXPECT_EQ(Parsed("+OK\r\n").value().find("x").error(), Error::InvalidArgument);
    // Nested values are skipped whole when looking for a key.
    Parsed nested("%2\r\n+a\r\n*2\r\n+b\r\n+c\r\n+b\r\n:2\r\n");
    EXPECT_EQ(nested.value().find("b")->integer(), 2);
    EXPECT_EQ(render(*nested.value().find("a")), "*[+b, +c]");
}

TEST(RedisReplyValue, IndexAndIterate) {
    Parsed p("*3\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n%1\r\n+k\r\n+v\r\n");
    ReplyValue v = p.value();
    EXPECT_EQ(render(v[0]), "*[:1, :2]");
    EXPECT_EQ(v[1].text(), "x");
    EXPECT_EQ(render(v[2]), "%{+k: +v}");
    EXPECT_EQ(v[0][1].integer(), 2);
    // Scalars have no children.
    EXPECT_EQ(v[1].size(), 0u);
    EXPECT_TRUE(v[1].begin() == v[1].end());
    EXPECT_TRUE(v[1].is_string());
    EXPECT_FALSE(v[0].is_string());
    EXPECT_EQ(v[0].text(), "");
    EXPECT_TRUE(Parsed("+OK\r\n").value().is_ok());
    EXPECT_FALSE(Parsed("$2\r\nOK\r\n").value().is_ok());
}

TEST(RedisReplyValue, SurvivesTheBufferMoving) {
    // Nodes hold offsets: the same parse reads right over any copy of the bytes.
    Parsed p("*2\r\n$3\r\nfoo\r\n+bar\r\n");
    std::string copy = p.bytes;
    ReplyValue moved = p.parser.value(copy.data());
    EXPECT_EQ(moved[0].text().data(), copy.data() + 8);
    EXPECT_EQ(render(moved), "*[$foo, +bar]");
}

// --- Every byte split, a mixed corpus -------------------------------------------------------

TEST(RedisReplyParser, EverySplitOfManyReplies) {
    const char* replies[] = {
        "+OK\r\n",
        "-ERR wrong number of arguments for 'get' command\r\n",
        ":-1\r\n",
        "$12\r\nhello\r\nworld\r\n",
        "*3\r\n$3\r\nfoo\r\n$-1\r\n$3\r\nbar\r\n",
        "%2\r\n+a\r\n*2\r\n:1\r\n,2.5\r\n+b\r\n~1\r\n#t\r\n",
        ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
        "|1\r\n+ttl\r\n:10\r\n=8\r\ntxt:abcd\r\n",
        "*2\r\n!5\r\nERR x\r\n(123456789012345678901234567890\r\n",
        "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n_\r\n",
    };
    for (const char* r : replies) EXPECT_EQ(parse(r).status, ParseStatus::Done) << printable(r);
    // And all of them back to back, parsed one after another from a single buffer.
    std::string all;
    for (const char* r : replies) all += r;
    ReplyParser parser;
    size_t start = 0, count = 0;
    while (start < all.size()) {
        ASSERT_EQ(parser.parse(std::string_view(all).substr(start)), ParseStatus::Done);
        start += parser.reply_length();
        parser.reset();
        ++count;
    }
    EXPECT_EQ(count, std::size(replies));
}

// --- Commands a client sends ----------------------------------------------------------------

TEST(RedisCommandEncoder, ArraysOfBulkStrings) {
    coronet::testing::StringSink sink;
    char buffer[64];
    Output out(sink, buffer, sizeof buffer);
    CommandArg set[] = {"SET", "k\r\n", std::string_view("\0v", 2)};
    ASSERT_TRUE(encode_command(out, set, 3).ok());
    CommandArg incr[] = {"INCRBY", "n", -42};
    ASSERT_TRUE(encode_command(out, incr, 3).ok());
    CommandArg extremes[] = {"X", INT64_MIN, UINT64_MAX, 0, ""};
    ASSERT_TRUE(encode_command(out, extremes, 5).ok());
    ASSERT_TRUE(out.flush().ok());
    EXPECT_EQ(sink.data,
              "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n\0v\r\n"sv
              "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$3\r\n-42\r\n"
              "*5\r\n$1\r\nX\r\n$20\r\n-9223372036854775808\r\n$20\r\n18446744073709551615\r\n"
              "$1\r\n0\r\n$0\r\n\r\n");
}

TEST(RedisCommandEncoder, BigArgumentsGoThroughUncopied) {
    coronet::testing::StringSink sink;
    char buffer[64];
    Output out(sink, buffer, sizeof buffer);
    std::string value(1000, 'v');
    CommandArg set[] = {"SET", "key", value};
    ASSERT_TRUE(encode_command(out, set, 3).ok());
    ASSERT_TRUE(out.flush().ok());
    EXPECT_EQ(sink.data, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1000\r\n" + value + "\r\n");
    EXPECT_LE(sink.writes, 4);
}
