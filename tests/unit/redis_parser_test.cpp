// Redis command parsing: CommandParser on multibulk and inline commands whole, split at every
// byte, byte by byte and in random pieces, with the buffer moved between calls (all must parse
// alike); every error reply, every limit, pipelining, and the Arguments it fills.
#include "apps/redis/command_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/incremental_parse.hpp"

using namespace coronet::redis;
using namespace std::literals;

// From ASan's runtime, which every unit test links (GCC ships no header declaring it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();

namespace {

// Everything a parse produced, comparable across ways of feeding it.
struct Outcome {
    ParseStatus status = ParseStatus::NeedMore;
    std::string error;
    size_t length = 0;                   // command_length() when Done
    uint64_t missing = 0;                // bulk_bytes_missing() when NeedMore
    std::vector<std::string> arguments;  // when Done

    bool operator==(const Outcome&) const = default;
};

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

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
    switch (o.status) {
    case ParseStatus::NeedMore: return out << "need more (missing " << o.missing << ")";
    case ParseStatus::Error: return out << "error \"" << o.error << "\"";
    case ParseStatus::Done: break;
    }
    out << "done " << o.length << " [";
    for (size_t k = 0; k < o.arguments.size(); ++k)
        out << (k ? " " : "") << '"' << printable(o.arguments[k]) << '"';
    return out << "]";
}

// Reads what the parser left, checking that each argument is either inside the command's bytes
// of `buffer` or wholly outside the buffer (the arguments' own scratch storage).
Outcome describe(ParseStatus status, const CommandParser& parser, const Arguments& arguments,
                 std::string_view buffer) {
    Outcome o;
    o.status = status;
    if (status == ParseStatus::Error) o.error = parser.error();
    if (status == ParseStatus::NeedMore) o.missing = parser.bulk_bytes_missing();
    if (status != ParseStatus::Done) return o;
    o.length = parser.command_length();
    EXPECT_LE(o.length, buffer.size());
    const char* begin = buffer.data();
    for (std::string_view argument : arguments) {
        const char* a = argument.data();
        bool in_command = a >= begin && a + argument.size() <= begin + o.length;
        bool outside = a + argument.size() <= begin || a >= begin + buffer.size();
        EXPECT_TRUE(argument.empty() || in_command || outside)
            << "argument \"" << printable(argument) << "\" straddles the buffer";
        o.arguments.emplace_back(argument);
    }
    return o;
}

// The command parser as incremental_parse.hpp feeds it.
struct Session {
    CommandParser parser;
    Arguments arguments;
    ParseStatus feed(std::string_view buffer) { return parser.parse(buffer, arguments); }
    Outcome outcome(ParseStatus status, std::string_view buffer) const {
        return describe(status, parser, arguments, buffer);
    }
};

// Parses `input` whole, and checks that it parses the same split in two at every byte, byte by
// byte and in random pieces, each with the buffer in place and moving.
Outcome parse(std::string_view input, const ParserLimits& limits = {}) {
    return coronet::splits::expect_alike_when_split(input, [&] {
        return Session{CommandParser(limits), {}};
    });
}

// For inputs too long to split at every byte: whole, and in random pieces.
Outcome parse_long(std::string_view input, const ParserLimits& limits = {}) {
    return coronet::splits::expect_alike_when_split(
        input,
        [&] {
            return Session{CommandParser(limits), {}};
        },
        {.every_split = false, .byte_by_byte = false, .largest_piece = 4096});
}

std::vector<std::string> arguments_of(std::string_view input, const ParserLimits& limits = {}) {
    Outcome o = parse(input, limits);
    EXPECT_EQ(o.status, ParseStatus::Done) << printable(input) << ": " << o;
    EXPECT_EQ(o.length, input.size()) << printable(input);
    return o.arguments;
}

std::string error_of(std::string_view input, const ParserLimits& limits = {}) {
    Outcome o = parse(input, limits);
    EXPECT_EQ(o.status, ParseStatus::Error) << printable(input) << ": " << o;
    return o.error;
}

using Args = std::vector<std::string>;

// A multibulk command as a client library encodes it.
std::string resp(std::initializer_list<std::string_view> arguments) {
    std::string out = "*" + std::to_string(arguments.size()) + "\r\n";
    for (std::string_view a : arguments)
        out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
    return out;
}

ParserLimits small_limits() {
    ParserLimits limits;
    limits.max_inline_length = 8;
    limits.max_bulk_length = 5;
    limits.max_arguments = 3;
    return limits;
}

constexpr const char* kInvalidCount = "ERR Protocol error: invalid multibulk length";
constexpr const char* kInvalidLength = "ERR Protocol error: invalid bulk length";
constexpr const char* kTooBigCount = "ERR Protocol error: too big mbulk count string";
constexpr const char* kTooBigLength = "ERR Protocol error: too big bulk count string";
constexpr const char* kTooBigInline = "ERR Protocol error: too big inline request";
constexpr const char* kUnbalanced = "ERR Protocol error: unbalanced quotes in request";
constexpr const char* kNoCrlf = "ERR Protocol error: expected '\\r\\n' after bulk data";

}  // namespace

// --- Multibulk ------------------------------------------------------------------------------

TEST(RedisParser, MultibulkCommands) {
    const std::pair<std::string, Args> cases[] = {
        {"*1\r\n$4\r\nPING\r\n", {"PING"}},
        {"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", {"GET", "k"}},
        {"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", {"SET", "key", "value"}},
        {"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", {"ECHO", ""}},
        {"*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n", {"", "", ""}},
        {"*1\r\n$10\r\n0123456789\r\n", {"0123456789"}},
        // Counts and lengths of more than one digit, and the largest bulk string the limit lets.
        {resp({"MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"}),
         {"MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"}},
        {resp({std::string(123, 'v')}), {std::string(123, 'v')}},
    };
    for (const auto& [input, expected] : cases) EXPECT_EQ(arguments_of(input), expected) << input;
}

TEST(RedisParser, BulkStringsAreBinarySafe) {
    std::string value = "a\r\nb\0c\r\n\r\n*2\r\n$1\r\n\xff"s;
    EXPECT_EQ(arguments_of(resp({"SET", "k", value})), (Args{"SET", "k", value}));
    EXPECT_EQ(arguments_of(resp({"\r\n"})), (Args{"\r\n"}));
    EXPECT_EQ(arguments_of(resp({"\0"sv})), (Args{"\0"s}));
}

TEST(RedisParser, ArgumentsAreViewsOfTheBuffer) {
    std::string input = resp({"GET", "key"});
    CommandParser parser;
    Arguments arguments;
    ASSERT_EQ(parser.parse(input, arguments), ParseStatus::Done);
    ASSERT_EQ(arguments.size(), 2u);
    EXPECT_EQ(arguments[0].data(), input.data() + 8);
    EXPECT_EQ(arguments[1].data(), input.data() + 17);
}

TEST(RedisParser, IncompleteCommandsNeedMore) {
    std::string whole = resp({"SET", "key", "value"});
    for (size_t size = 0; size < whole.size(); ++size) {
        CommandParser parser;
        Arguments arguments;
        EXPECT_EQ(parser.parse(std::string_view(whole).substr(0, size), arguments),
                  ParseStatus::NeedMore)
            << size;
    }
    for (std::string_view prefix : {"PING", "PING\r", "\r", "  ", "\"unterminated"}) {
        CommandParser parser;
        Arguments arguments;
        EXPECT_EQ(parser.parse(prefix, arguments), ParseStatus::NeedMore) << prefix;
    }
}

TEST(RedisParser, EmptyAndNegativeCountsAreEmptyCommands) {
    for (std::string_view input :
         {"*0\r\n", "*-1\r\n", "*-5\r\n", "*-1234567\r\n", "*-9223372036854775808\r\n"}) {
        Outcome o = parse(input);
        EXPECT_EQ(o.status, ParseStatus::Done) << input;
        EXPECT_EQ(o.length, input.size()) << input;
        EXPECT_TRUE(o.arguments.empty()) << input;
    }
    // The command after it is a command of its own.
    Outcome o = parse("*0\r\n*1\r\n$4\r\nPING\r\n");
    EXPECT_EQ(o.length, 4u);
    EXPECT_TRUE(o.arguments.empty());
}

TEST(RedisParser, NumbersAreReadAsRedisReadsThem) {
    // Like string2ll: no sign but a count's '-', no leading zeros, no "-0", no spaces.
    for (std::string_view input :
         {"*\r\n", "*-\r\n", "*-0\r\n", "*01\r\n", "*00\r\n", "*+1\r\n", "* 1\r\n", "*1 \r\n",
          "*1a\r\n", "*0x1\r\n", "*1.0\r\n", "*--1\r\n", "*1-\r\n", "*99999999999999999999\r\n",
          "*-9223372036854775809\r\n", "*-99999999999999999999\r\n", "*1\n$1\r\na\r\n"}) {
        EXPECT_EQ(error_of(input), kInvalidCount) << printable(input);
    }
    for (std::string_view input :
         {"*1\r\n$\r\n", "*1\r\n$-1\r\n", "*1\r\n$-0\r\n", "*1\r\n$01\r\na\r\n", "*1\r\n$+1\r\n",
          "*1\r\n$ 1\r\n", "*1\r\n$1 \r\n", "*1\r\n$1x\r\n", "*1\r\n$-\r\n",
          "*1\r\n$99999999999999999999\r\n"}) {
        EXPECT_EQ(error_of(input), kInvalidLength) << printable(input);
    }
}

TEST(RedisParser, LargestNumbersWithUnboundedLimits) {
    ParserLimits limits;
    limits.max_arguments = SIZE_MAX;
    limits.max_bulk_length = UINT64_MAX;
    Outcome o = parse("*9223372036854775807\r\n$9223372036854775807\r\nabc", limits);
    EXPECT_EQ(o.status, ParseStatus::NeedMore);
    EXPECT_EQ(o.missing, 9223372036854775807ULL - 3 + 2);
    EXPECT_EQ(error_of("*9223372036854775808\r\n", limits), kInvalidCount);
    EXPECT_EQ(error_of("*1\r\n$9223372036854775808\r\n", limits), kInvalidLength);
}

TEST(RedisParser, ExpectedDollar) {
    EXPECT_EQ(error_of("*2\r\n$3\r\nGET\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'");
    EXPECT_EQ(error_of("*1\r\nGET\r\n"), "ERR Protocol error: expected '$', got 'G'");
    // The whole line counts before the verdict, as in Redis: a bad first byte wins over a bad
    // number.
    EXPECT_EQ(error_of("*1\r\n*x\r\n"), "ERR Protocol error: expected '$', got '*'");
    // CR and LF become spaces in the reply, as Redis does; so does a NUL (a C string ends there).
    EXPECT_EQ(error_of("*1\r\n\r\n"), "ERR Protocol error: expected '$', got ' '");
    EXPECT_EQ(error_of("*1\r\n\n$1\r\n"), "ERR Protocol error: expected '$', got ' '");
    EXPECT_EQ(error_of("*1\r\n\0\r\n"sv), "ERR Protocol error: expected '$', got ' '");
    EXPECT_EQ(error_of("*1\r\n\xff\r\n"), "ERR Protocol error: expected '$', got '\xff'");
    // Not before the line ends: Redis reads the line first, then looks at its first byte.
    CommandParser parser;
    Arguments arguments;
    EXPECT_EQ(parser.parse("*1\r\nGET", arguments), ParseStatus::NeedMore);
}

TEST(RedisParser, CountAndLengthLinesEndInCrlf) {
    // Redis skips whatever byte follows the '\r'; we want the '\n'.
    EXPECT_EQ(error_of("*1\rX$1\r\na\r\n"), kInvalidCount);
    EXPECT_EQ(error_of("*1\r\n$1\rXa\r\n"), kInvalidLength);
}

TEST(RedisParser, BulkDataEndsInCrlf) {
    // Deliberately stricter than Redis, which takes any two bytes as the CRLF.
    EXPECT_EQ(error_of("*1\r\n$3\r\nGETX\r\n"), kNoCrlf);
    EXPECT_EQ(error_of("*1\r\n$3\r\nGET\rX"), kNoCrlf);
    EXPECT_EQ(error_of("*1\r\n$3\r\nGET\n\r"), kNoCrlf);
    EXPECT_EQ(error_of("*2\r\n$3\r\nGE\r\n$1\r\nk\r\n"), kNoCrlf);  // a length one too long
}

TEST(RedisParser, BulkBytesMissing) {
    struct Case {
        std::string_view input;
        uint64_t missing;
    };
    for (auto [input, missing] : {
             Case{"", 0},
             Case{"*2\r\n", 0},
             Case{"*2\r\n$10", 0},
             Case{"*2\r\n$10\r", 0},
             Case{"*2\r\n$10\r\n", 12},
             Case{"*2\r\n$10\r\n0123", 8},
             Case{"*2\r\n$10\r\n0123456789", 2},
             Case{"*2\r\n$10\r\n0123456789\r", 1},
             Case{"*2\r\n$10\r\n0123456789\r\n", 0},
             Case{"*2\r\n$10\r\n0123456789\r\n$0\r\n", 2},
             Case{"PING", 0},
         }) {
        Outcome o = parse(input);
        EXPECT_EQ(o.status, ParseStatus::NeedMore) << printable(input);
        EXPECT_EQ(o.missing, missing) << printable(input);
    }
}

TEST(RedisParser, ManyArgumentsGrowTheArray) {
    std::string input = "*3000\r\n";
    Args expected;
    for (int k = 0; k < 3000; ++k) {
        expected.push_back(std::to_string(k));
        input += "$" + std::to_string(expected.back().size()) + "\r\n" + expected.back() + "\r\n";
    }
    ParserLimits limits;
    limits.max_arguments = 3000;
    Outcome o = parse_long(input, limits);
    EXPECT_EQ(o.status, ParseStatus::Done);
    EXPECT_EQ(o.length, input.size());
    EXPECT_EQ(o.arguments, expected);
}

TEST(RedisParser, HugeDeclaredCountAllocatesLittle) {
    CommandParser parser;
    Arguments arguments;
    size_t before = __sanitizer_get_current_allocated_bytes();
    EXPECT_EQ(parser.parse("*1000000\r\n", arguments), ParseStatus::NeedMore);
    size_t grown = __sanitizer_get_current_allocated_bytes() - before;
    // 1024 views reserved (16 KiB), not a million (16 MiB).
    EXPECT_LE(grown, 1024 * sizeof(std::string_view) + 1024);
    EXPECT_EQ(parser.parse("*1000000\r\n$1\r\nx\r\n", arguments), ParseStatus::NeedMore);
    EXPECT_EQ(arguments.size(), 1u);
    arguments.release();
    EXPECT_EQ(__sanitizer_get_current_allocated_bytes(), before);
}

// --- Inline ---------------------------------------------------------------------------------

TEST(RedisParser, InlineCommands) {
    const std::pair<std::string_view, Args> cases[] = {
        {"PING\r\n", {"PING"}},
        {"PING\n", {"PING"}},
        {"SET key value\r\n", {"SET", "key", "value"}},
        {"  SET \t key   value  \r\n", {"SET", "key", "value"}},
        {"GET a\rb\r\n", {"GET", "a", "b"}},  // a lone '\r' separates
        {"PING\r\r\n", {"PING"}},             // only the '\r' before the '\n' is the line end
        // Skipped between arguments, but not separators inside one (sdssplitargs' quirk).
        {"\v\fECHO a\vb\fc\r\n", {"ECHO", "a\vb\fc"}},
        {"ECHO a\0b\r\n"sv, {"ECHO", "a\0b"s}},  // a NUL is an ordinary byte here
        {" *1\r\n", {"*1"}},
        {"$3\r\n", {"$3"}},
    };
    for (const auto& [input, expected] : cases)
        EXPECT_EQ(arguments_of(input), expected) << printable(input);
}

TEST(RedisParser, BlankInlineLinesAreEmptyCommands) {
    for (std::string_view input : {"\r\n", "\n", "   \r\n", "\t \v\f\r\n", "\r\r\n"}) {
        Outcome o = parse(input);
        EXPECT_EQ(o.status, ParseStatus::Done) << printable(input);
        EXPECT_EQ(o.length, input.size());
        EXPECT_TRUE(o.arguments.empty()) << printable(input);
    }
}

TEST(RedisParser, InlineQuoting) {
    const std::pair<std::string_view, Args> cases[] = {
        {"SET k \"hello world\"\r\n", {"SET", "k", "hello world"}},
        {"SET k 'hello world'\r\n", {"SET", "k", "hello world"}},
        {"ECHO \"\"\r\n", {"ECHO", ""}},
        {"ECHO ''\r\n", {"ECHO", ""}},
        {"ECHO \"\" ''\r\n", {"ECHO", "", ""}},
        {"ECHO \"a\\nb\\rc\\td\\be\\af\"\r\n", {"ECHO", "a\nb\rc\td\be\af"}},
        {"ECHO \"\\\\ \\\" \\' \\z\"\r\n", {"ECHO", "\\ \" ' z"}},
        {"ECHO \"\\x41\\x7a\\xfF\\x00\"\r\n", {"ECHO", "Az\xff\0"s}},
        // \x without two hex digits is just an escaped 'x'.
        {"ECHO \"\\x4\" \"\\xg1\" \"\\x\"\r\n", {"ECHO", "x4", "xg1", "x"}},
        {"ECHO 'it\\'s' 'a\\nb' 'c\\\\d'\r\n", {"ECHO", "it's", "a\\nb", "c\\\\d"}},
        {"ECHO 'say \"hi\"' \"it's\"\r\n", {"ECHO", "say \"hi\"", "it's"}},
        // A quote may open inside an argument; the argument then goes on to the closing quote.
        {"ECHO a\"b c\" d\r\n", {"ECHO", "ab c", "d"}},
        {"ECHO ab'' x\r\n", {"ECHO", "ab", "x"}},
        // A closing quote may be followed by any blank, or the line's end.
        {"ECHO \"a\"\t\"b\"\v'c'\f\"d\"\r\n", {"ECHO", "a", "b", "c", "d"}},
        {"\"ECHO\"\n", {"ECHO"}},
        {"ECHO \"a\"\r\r\n", {"ECHO", "a"}},
    };
    for (const auto& [input, expected] : cases)
        EXPECT_EQ(arguments_of(input), expected) << printable(input);
    // The line ends at the first '\n', quotes or not: the rest is the next command.
    Outcome o = parse("ECHO \"a\nb\"\r\n");
    EXPECT_EQ(o.status, ParseStatus::Error);
    EXPECT_EQ(o.error, kUnbalanced);
}

TEST(RedisParser, InlineViewsAndScratch) {
    // Arguments without escapes are views of the buffer; escaped ones live in the arguments.
    std::string input = "SET \"k\" \"a\\x41\" 'b' c\"d\"\r\n";
    CommandParser parser;
    Arguments arguments;
    ASSERT_EQ(parser.parse(input, arguments), ParseStatus::Done);
    ASSERT_EQ(arguments.size(), 5u);
    EXPECT_EQ(arguments[0].data(), input.data());
    EXPECT_EQ(arguments[1].data(), input.data() + 5);
    EXPECT_EQ(arguments[2], "aA");
    EXPECT_TRUE(arguments[2].data() < input.data() ||
                arguments[2].data() >= input.data() + input.size());
    EXPECT_EQ(arguments[3].data(), input.data() + 17);
    EXPECT_EQ(arguments[4], "cd");
    EXPECT_TRUE(arguments[4].data() < input.data() ||
                arguments[4].data() >= input.data() + input.size());
}

TEST(RedisParser, UnbalancedQuotes) {
    for (std::string_view input : std::initializer_list<std::string_view>{
             "ECHO \"abc\r\n", "ECHO 'abc\r\n", "ECHO \"abc\"def\r\n", "ECHO 'a'b\r\n",
             "ECHO \"a\\\"\r\n", "ECHO 'a\\'\r\n", "ECHO \"a\\\r\n", "ECHO \"\"\"\r\n",
             "ECHO ''x\r\n", "\"\r\n", "'\n", "ECHO \"a\"\"b\"\r\n", "ECHO \"a\"\0\r\n"sv}) {
        EXPECT_EQ(error_of(input), kUnbalanced) << printable(input);
    }
}

// --- Limits ---------------------------------------------------------------------------------

TEST(RedisParser, InlineLengthLimit) {
    ParserLimits limits = small_limits();  // 8 bytes
    EXPECT_EQ(arguments_of("PING 123\r\n", limits), (Args{"PING", "123"}));
    EXPECT_EQ(arguments_of("PING 123\n", limits), (Args{"PING", "123"}));
    EXPECT_EQ(error_of("PING 1234\r\n", limits), kTooBigInline);
    EXPECT_EQ(error_of("PING 123\r\r\n", limits), kTooBigInline);  // the first '\r' is content
    EXPECT_EQ(error_of("PING 123\rx", limits), kTooBigInline);
    // Known as the bytes arrive, not once the line ends.
    for (std::string_view prefix : {"PING 1234", "PING 123\rx", "PING 123\r\r"}) {
        CommandParser parser(limits);
        Arguments arguments;
        EXPECT_EQ(parser.parse(prefix, arguments), ParseStatus::Error) << printable(prefix);
        EXPECT_STREQ(parser.error(), kTooBigInline);
    }
    CommandParser parser(limits);
    Arguments arguments;
    EXPECT_EQ(parser.parse("PING 123\r", arguments), ParseStatus::NeedMore);
}

TEST(RedisParser, DefaultInlineLengthLimit) {
    std::string longest = "ECHO " + std::string(kMaxInlineLength - 5, 'x');
    Outcome o = parse_long(longest + "\r\n");
    EXPECT_EQ(o.status, ParseStatus::Done);
    EXPECT_EQ(o.arguments, (Args{"ECHO", std::string(kMaxInlineLength - 5, 'x')}));
    EXPECT_EQ(parse_long(longest + "x").error, kTooBigInline);
    EXPECT_EQ(parse_long(longest).status, ParseStatus::NeedMore);
}

TEST(RedisParser, CountLineLengthLimit) {
    ParserLimits limits;
    limits.max_inline_length = 4;
    limits.max_arguments = SIZE_MAX;
    EXPECT_EQ(parse("*123\r\n", limits).status, ParseStatus::NeedMore);
    EXPECT_EQ(error_of("*1234\r\n", limits), kTooBigCount);
    EXPECT_EQ(error_of("*1234", limits), kTooBigCount);
    // Garbage past the limit without a '\r' is "too big", as in Redis; within it, "invalid".
    EXPECT_EQ(error_of("*abcdef", limits), kTooBigCount);
    EXPECT_EQ(error_of("*abc\r\n", limits), kInvalidCount);
    // The default limit, reached only by a line of garbage.
    std::string garbage = "*" + std::string(kMaxInlineLength, 'x');
    EXPECT_EQ(parse_long(garbage).error, kTooBigCount);
    EXPECT_EQ(parse_long(garbage.substr(0, kMaxInlineLength) + "\r\n").error, kInvalidCount);
}

TEST(RedisParser, BulkLengthLineLimit) {
    ParserLimits limits;
    limits.max_inline_length = 4;
    EXPECT_EQ(arguments_of("*1\r\n$100\r\n" + std::string(100, 'v') + "\r\n", limits),
              (Args{std::string(100, 'v')}));
    EXPECT_EQ(error_of("*1\r\n$1000\r\n", limits), kTooBigLength);
    EXPECT_EQ(error_of("*1\r\nxxxxx", limits), kTooBigLength);
    EXPECT_EQ(error_of("*1\r\nxxxx\r\n", limits), "ERR Protocol error: expected '$', got 'x'");
}

TEST(RedisParser, BulkLengthLimit) {
    ParserLimits limits = small_limits();  // 5 bytes
    EXPECT_EQ(arguments_of("*1\r\n$5\r\nvalue\r\n", limits), (Args{"value"}));
    EXPECT_EQ(error_of("*1\r\n$6\r\nvalue!\r\n", limits), kInvalidLength);
    EXPECT_EQ(error_of("*1\r\n$50\r\n", limits), kInvalidLength);
    // The default: proto-max-bulk-len's 512 MiB, without a byte of it sent.
    EXPECT_EQ(parse("*1\r\n$536870912\r\n").missing, 536870914u);
    EXPECT_EQ(error_of("*1\r\n$536870913\r\n"), kInvalidLength);
}

TEST(RedisParser, ArgumentCountLimit) {
    ParserLimits limits = small_limits();  // 3 arguments
    EXPECT_EQ(arguments_of("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", limits),
              (Args{"a", "b", "c"}));
    EXPECT_EQ(error_of("*4\r\n", limits), kInvalidCount);
    EXPECT_EQ(error_of("*30\r\n", limits), kInvalidCount);
    EXPECT_EQ(parse("*-30\r\n", limits).status, ParseStatus::Done);  // any negative is empty
    EXPECT_EQ(error_of("*1048577\r\n"), kInvalidCount);              // the default
    EXPECT_EQ(parse("*1048576\r\n").status, ParseStatus::NeedMore);
}

// --- Parser life cycle ----------------------------------------------------------------------

TEST(RedisParser, ErrorsStay) {
    CommandParser parser;
    Arguments arguments;
    EXPECT_EQ(parser.parse("*x\r\n", arguments), ParseStatus::Error);
    EXPECT_EQ(parser.parse("*x\r\n*1\r\n$4\r\nPING\r\n", arguments), ParseStatus::Error);
    EXPECT_STREQ(parser.error(), kInvalidCount);
    parser.reset();
    EXPECT_EQ(parser.parse("*1\r\n$4\r\nPING\r\n", arguments), ParseStatus::Done);
    EXPECT_STREQ(parser.error(), "");
}

TEST(RedisParser, ErrorTextSurvivesACopy) {
    CommandParser parser;
    Arguments arguments;
    EXPECT_EQ(parser.parse("*1\r\n:1\r\n", arguments), ParseStatus::Error);
    CommandParser copy = parser;
    parser.reset();
    EXPECT_STREQ(copy.error(), "ERR Protocol error: expected '$', got ':'");
}

// Parses every command in `input`, fed in pieces of the sizes `next_size` returns, as a
// connection does: each command parsed from its first byte, the parser reset after each one.
template <typename NextSize>
std::vector<Outcome> parse_pipeline(std::string_view input, bool moving, NextSize next_size) {
    CommandParser parser;
    Arguments arguments;
    std::vector<Outcome> outcomes;
    std::unique_ptr<char[]> held;
    std::string_view received;
    size_t consumed = 0;
    for (;;) {
        for (;;) {
            std::string_view pending = received.substr(consumed);
            ParseStatus status = parser.parse(pending, arguments);
            if (status == ParseStatus::NeedMore) break;
            outcomes.push_back(describe(status, parser, arguments, pending));
            if (status == ParseStatus::Error) return outcomes;
            consumed += parser.command_length();
            parser.reset();
        }
        if (received.size() == input.size()) break;
        size_t size = std::min(received.size() + next_size(), input.size());
        if (moving) {
            auto copy = std::make_unique<char[]>(size);
            std::memcpy(copy.get(), input.data(), size);
            received = {copy.get(), size};
            held = std::move(copy);  // the parser is told of the move on its next call
        } else {
            received = input.substr(0, size);
        }
    }
    Outcome tail;
    tail.missing = parser.bulk_bytes_missing();
    outcomes.push_back(tail);  // what is left waits for more
    return outcomes;
}

TEST(RedisParser, PipelinedCommands) {
    std::string input = resp({"SET", "k", "v"}) + "PING\r\n" + resp({"GET", "k"}) + "\r\n" +
                        "*0\r\n" + "ECHO 'x y'\n" + resp({"INCR", "n"}) + "*2\r\n$4\r\nECHO\r\n$3";
    auto whole = parse_pipeline(input, false, [&] { return input.size(); });
    ASSERT_EQ(whole.size(), 8u);
    EXPECT_EQ(whole[0].arguments, (Args{"SET", "k", "v"}));
    EXPECT_EQ(whole[0].length, resp({"SET", "k", "v"}).size());
    EXPECT_EQ(whole[1].arguments, (Args{"PING"}));
    EXPECT_EQ(whole[1].length, 6u);
    EXPECT_EQ(whole[2].arguments, (Args{"GET", "k"}));
    EXPECT_EQ(whole[3].length, 2u);
    EXPECT_TRUE(whole[3].arguments.empty());
    EXPECT_EQ(whole[4].length, 4u);
    EXPECT_TRUE(whole[4].arguments.empty());
    EXPECT_EQ(whole[5].arguments, (Args{"ECHO", "x y"}));
    EXPECT_EQ(whole[6].arguments, (Args{"INCR", "n"}));
    EXPECT_EQ(whole[7].status, ParseStatus::NeedMore);
    for (bool moving : {false, true}) {
        for (size_t split = 1; split < input.size(); ++split) {
            bool first = true;
            auto two = [&] {
                size_t piece = first ? split : input.size();
                first = false;
                return piece;
            };
            EXPECT_EQ(parse_pipeline(input, moving, two), whole) << "split at " << split;
        }
        EXPECT_EQ(parse_pipeline(input, moving, [] { return size_t{1}; }), whole);
    }
    // An error ends the pipeline where it is.
    auto failed = parse_pipeline("PING\r\n*1\r\n$x\r\nPING\r\n", false, [] { return size_t{100}; });
    ASSERT_EQ(failed.size(), 2u);
    EXPECT_EQ(failed[1].error, kInvalidLength);
}

TEST(RedisParser, ShrunkBufferStartsOver) {
    // Breaking the only-grows rule is not fatal: the parser reads the command afresh.
    CommandParser parser;
    Arguments arguments;
    std::string input = resp({"GET", "key"});
    EXPECT_EQ(parser.parse(std::string_view(input).substr(0, 20), arguments),
              ParseStatus::NeedMore);
    EXPECT_EQ(parser.parse(std::string_view(input).substr(0, 10), arguments),
              ParseStatus::NeedMore);
    EXPECT_EQ(parser.parse(input, arguments), ParseStatus::Done);
    EXPECT_EQ(arguments.size(), 2u);
    EXPECT_EQ(arguments[1], "key");
}

// --- Arguments ------------------------------------------------------------------------------

TEST(RedisArguments, GrowsPastTheInlineArray) {
    Arguments arguments;
    std::vector<std::string> texts;
    for (int k = 0; k < 100; ++k) texts.push_back("a" + std::to_string(k));
    for (const std::string& text : texts) ASSERT_TRUE(arguments.push(text).ok());
    ASSERT_EQ(arguments.size(), 100u);
    size_t k = 0;
    for (std::string_view a : arguments) EXPECT_EQ(a, texts[k++]);
    arguments.set(5, "five");
    EXPECT_EQ(arguments[5], "five");
    arguments.clear();
    EXPECT_TRUE(arguments.empty());
    ASSERT_TRUE(arguments.push("again").ok());
    EXPECT_EQ(arguments[0], "again");
    arguments.release();
    EXPECT_TRUE(arguments.empty());
    ASSERT_TRUE(arguments.push("after release").ok());
    EXPECT_EQ(arguments[0], "after release");
}

TEST(RedisArguments, ReserveKeepsWhatIsThere) {
    Arguments arguments;
    ASSERT_TRUE(arguments.push("x").ok());
    ASSERT_TRUE(arguments.reserve(3).ok());     // within the inline array: nothing to do
    ASSERT_TRUE(arguments.reserve(1000).ok());  // to the heap
    ASSERT_TRUE(arguments.reserve(5000).ok());  // and larger there
    EXPECT_EQ(arguments.size(), 1u);
    EXPECT_EQ(arguments[0], "x");
    EXPECT_EQ(arguments.reserve(SIZE_MAX).error(), coronet::Error::OutOfMemory);
    EXPECT_EQ(arguments[0], "x");
}

TEST(RedisArguments, Scratch) {
    Arguments arguments;
    auto first = arguments.scratch(10);
    ASSERT_TRUE(first.ok());
    std::memcpy(*first, "0123456789", 10);
    arguments.clear();
    // Reused after clear(), and shared while it fits.
    auto again = arguments.scratch(4);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *first);
    auto more = arguments.scratch(6);
    ASSERT_TRUE(more.ok());
    EXPECT_EQ(*more, *first + 4);
    EXPECT_DEATH((void)arguments.scratch(1), "cannot grow once it is in use");
    arguments.clear();
    auto bigger = arguments.scratch(1000);
    ASSERT_TRUE(bigger.ok());
    std::memset(*bigger, 'x', 1000);
}
