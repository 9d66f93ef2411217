// libFuzzer target for the Redis command parser: every input is parsed as a pipeline of
// commands whole, as bytes arriving in random pieces, and in pieces with the buffer moving
// between calls; all three must agree, and the parser's invariants are checked throughout.
// ASan catches reads past the bytes received so far and views left in a freed buffer.
//
// Input layout: byte 0 picks the limits (defaults or small ones, so the fuzzer reaches every
// limit cheaply) and the largest piece size; bytes 1-4 seed the split points and the moves; the
// rest is the bytes a client sent.
#include "apps/redis/command_parser.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <sanitizer/asan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace coronet::redis;
using coronet::fuzz::Arrival;
using coronet::fuzz::Splitter;

namespace {

constexpr size_t kHeaderBytes = 5;
constexpr size_t kMaxCommands = 256;  // per input: enough to cover a pipeline, bounded work
constexpr int kMaxMoves = 32;         // buffer moves per input, each a copy of the whole input

struct Command {
    ParseStatus status = ParseStatus::NeedMore;
    std::string error;
    size_t length = 0;
    uint64_t missing = 0;  // bulk_bytes_missing() of the unfinished last command
    std::vector<std::string> arguments;

    bool operator==(const Command&) const = default;
};

bool starts_with(const std::string& s, const char* prefix) {
    return s.compare(0, std::strlen(prefix), prefix) == 0;
}

// A multibulk command as its arguments encode it: with string2ll's numbers (no leading zeros,
// no sign) and strict CRLFs, the encoding of a parsed command is unique.
std::string encode(const std::vector<std::string>& arguments) {
    std::string out = "*" + std::to_string(arguments.size()) + "\r\n";
    for (const std::string& a : arguments)
        out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

// What the parser says of the command at the start of `pending`, checked.
Command record(ParseStatus status, const CommandParser& parser, const Arguments& arguments,
               std::string_view pending, const ParserLimits& limits) {
    Command c;
    c.status = status;
    if (status == ParseStatus::Error) {
        c.error = parser.error();
        CHECK(starts_with(c.error, "ERR Protocol error: ") || starts_with(c.error, "OOM "));
        return c;
    }
    CHECK(status == ParseStatus::Done);
    c.length = parser.command_length();
    CHECK(c.length > 0 && c.length <= pending.size());
    CHECK(pending[c.length - 1] == '\n');
    std::string_view command = pending.substr(0, c.length);
    for (std::string_view a : arguments) c.arguments.emplace_back(a);
    if (command[0] == '*') {
        CHECK(arguments.size() <= limits.max_arguments);
        for (std::string_view a : arguments) {
            CHECK(a.size() <= limits.max_bulk_length);
            // Views of the command's own bytes, in the buffer of this call.
            CHECK(a.data() >= command.data() && a.data() + a.size() <= command.data() + c.length);
        }
        if (!arguments.empty()) CHECK(encode(c.arguments) == command);
    } else {
        size_t content = c.length - 1 - (c.length >= 2 && command[c.length - 2] == '\r');
        CHECK(content <= limits.max_inline_length);
        size_t total = 0;
        for (std::string_view a : arguments) total += a.size();
        CHECK(total <= content);  // unescaping never grows a line
        CHECK(command.find('\n') == c.length - 1);
    }
    return c;
}

// Parses every command of `bytes` as a connection does: each from its first byte, the parser
// reset after each one. With a splitter the bytes arrive in pieces; `moving` also copies them to
// a new block now and then, freeing the old one once the parser has seen the new one.
std::vector<Command> parse_pipeline(std::string_view bytes, const ParserLimits& limits,
                                    Splitter* splitter, bool moving) {
    CommandParser parser(limits);
    Arguments arguments;
    std::vector<Command> commands;
    auto arrival = std::make_unique<Arrival>(bytes);
    std::unique_ptr<Arrival> previous;
    int moves = 0;
    size_t received = splitter ? 0 : bytes.size();
    size_t consumed = 0;
    for (;;) {
        std::string_view view = arrival->first(received);
        for (;;) {
            std::string_view pending = view.substr(consumed);
            ParseStatus status = parser.parse(pending, arguments);
            previous.reset();  // the parser has moved its views: the old block may go
            if (status == ParseStatus::NeedMore) break;
            commands.push_back(record(status, parser, arguments, pending, limits));
            Arguments ignored;
            CHECK(parser.parse(pending, ignored) == status);  // a finished parser stays so
            if (status == ParseStatus::Error || commands.size() == kMaxCommands) return commands;
            consumed += parser.command_length();
            parser.reset();
        }
        if (received == bytes.size()) break;
        CHECK(parser.bulk_bytes_missing() <= limits.max_bulk_length + 2);
        received += splitter->next();
        if (received > bytes.size()) received = bytes.size();
        if (moving && moves < kMaxMoves && splitter->next_random() % 4 == 0) {
            previous = std::move(arrival);
            arrival = std::make_unique<Arrival>(bytes);
            ++moves;
        }
    }
    Command tail;  // the unfinished command waiting for more
    tail.missing = parser.bulk_bytes_missing();
    commands.push_back(tail);
    return commands;
}

ParserLimits pick_limits(uint8_t choice) {
    ParserLimits limits;
    if (choice & 1) {  // small: every limit is within reach of short inputs
        limits.max_inline_length = 16;
        limits.max_bulk_length = 32;
        limits.max_arguments = 8;
    }
    return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderBytes) return 0;
    ParserLimits limits = pick_limits(data[0]);
    uint32_t seed;
    std::memcpy(&seed, data + 1, sizeof seed);
    Splitter splitter{seed | 1, size_t{1} << ((data[0] >> 1) % 8)};  // pieces of 1..128 bytes
    std::string_view bytes(reinterpret_cast<const char*>(data) + kHeaderBytes, size - kHeaderBytes);

    std::vector<Command> whole = parse_pipeline(bytes, limits, nullptr, false);
    std::vector<Command> split = parse_pipeline(bytes, limits, &splitter, false);
    CHECK(whole == split);
    std::vector<Command> moving = parse_pipeline(bytes, limits, &splitter, true);
    CHECK(whole == moving);
    return 0;
}
