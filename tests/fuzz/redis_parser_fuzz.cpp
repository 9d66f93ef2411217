// libFuzzer target for the Redis parsers, commands (the server's) and replies (the client's):
// every input is parsed as a pipeline whole, as bytes arriving in random pieces, and in pieces
// with the buffer moving between calls; all three must agree, and the parser's invariants are
// checked throughout. ASan catches reads past the bytes received so far and views left in a
// freed buffer.
//
// Input layout: byte 0 picks the limits (bit 0: defaults or small ones, so the fuzzer reaches
// every limit cheaply), the largest piece size (bits 1-3) and the mode (bit 4: replies);
// bytes 1-4 seed the split points and the moves; the rest is the bytes a client (or, for
// replies, a server) sent.
#include "apps/redis/command_parser.hpp"
#include "apps/redis/reply_parser.hpp"
#include "apps/redis/reply_value.hpp"
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
constexpr uint8_t kSmallLimits = 1 << 0;
constexpr uint8_t kReplyMode = 1 << 4;
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
    if (choice & kSmallLimits) {  // small: every limit is within reach of short inputs
        limits.max_inline_length = 16;
        limits.max_bulk_length = 32;
        limits.max_arguments = 8;
    }
    return limits;
}

// --- Replies --------------------------------------------------------------------------------

struct ParsedReply {
    ParseStatus status = ParseStatus::NeedMore;
    ReplyError error = ReplyError::None;
    size_t length = 0;
    std::string tree;  // the reply rendered, comparable across buffers

    bool operator==(const ParsedReply&) const = default;
};

// Checks a value and its subtree against the limits and the reply's bytes, and renders it.
// Returns the nodes the subtree spans.
size_t walk(const ReplyValue& value, const char* base, size_t length, const ReplyLimits& limits,
            size_t depth, std::string& out) {
    ReplyKind kind = value.kind();
    out += reply_kind_name(kind);
    if (!value.is_aggregate()) {
        std::string_view text = value.text();
        if (!text.empty()) CHECK(text.data() >= base && text.data() + text.size() <= base + length);
        if (kind == ReplyKind::Bulk || kind == ReplyKind::Verbatim ||
            (kind == ReplyKind::Error && text.size() > limits.max_line_length))
            CHECK(text.size() <= limits.max_bulk_length);
        if (kind == ReplyKind::Simple || kind == ReplyKind::Integer || kind == ReplyKind::Double)
            CHECK(text.size() <= limits.max_line_length);
        if (kind == ReplyKind::Integer) CHECK(value.to_integer().ok());
        if (kind == ReplyKind::Double) (void)value.to_double();  // may overflow: not checked
        if (kind == ReplyKind::Verbatim) CHECK(value.verbatim_format().size() == 3);
        if (kind == ReplyKind::Error) CHECK(value.error_code().size() <= text.size());
        out += '(';
        out.append(text);
        out += ')';
        CHECK(value.size() == 0 && value.begin() == value.end());
        return 1;
    }
    // An aggregate with elements was open at this depth; an empty one never opens.
    if (!value.empty()) CHECK(depth < limits.max_depth);
    if (kind == ReplyKind::Map) CHECK(value.size() % 2 == 0);
    out += '[';
    size_t nodes = 1, children = 0;
    for (ReplyValue child : value) {
        nodes += walk(child, base, length, limits, depth + 1, out);
        out += ',';
        ++children;
    }
    out += ']';
    CHECK(children == value.size());
    return nodes;
}

ParsedReply record_reply(ParseStatus status, const ReplyParser& parser, std::string_view pending,
                         const ReplyLimits& limits) {
    ParsedReply r;
    r.status = status;
    if (status == ParseStatus::Error) {
        r.error = parser.error();
        CHECK(r.error != ReplyError::None && r.error != ReplyError::OutOfMemory);
        return r;
    }
    CHECK(status == ParseStatus::Done);
    r.length = parser.reply_length();
    CHECK(r.length > 0 && r.length <= pending.size() && r.length <= limits.max_reply_bytes);
    CHECK(pending[r.length - 1] == '\n');
    CHECK(parser.node_count() >= 1 && parser.node_count() <= limits.max_elements);
    ReplyValue root = parser.value(pending.data());
    size_t nodes = walk(root, pending.data(), r.length, limits, 0, r.tree);
    CHECK(nodes == parser.node_count() && parser.nodes()[0].span == nodes);
    return r;
}

// The replies of `bytes` one after another, as a client reads a pipeline's answers; the same
// three ways as commands.
std::vector<ParsedReply> parse_replies(std::string_view bytes, const ReplyLimits& limits,
                                       Splitter* splitter, bool moving) {
    ReplyParser parser(limits);
    std::vector<ParsedReply> replies;
    auto arrival = std::make_unique<Arrival>(bytes);
    std::unique_ptr<Arrival> previous;
    int moves = 0;
    size_t received = splitter ? 0 : bytes.size();
    size_t consumed = 0;
    for (;;) {
        std::string_view view = arrival->first(received);
        for (;;) {
            std::string_view pending = view.substr(consumed);
            ParseStatus status = parser.parse(pending);
            previous.reset();  // nodes hold offsets, not pointers: the old block may go
            if (status == ParseStatus::NeedMore) break;
            replies.push_back(record_reply(status, parser, pending, limits));
            CHECK(parser.parse(pending) == status);  // a finished parser stays so
            if (status == ParseStatus::Error || replies.size() == kMaxCommands) return replies;
            consumed += parser.reply_length();
            parser.reset();
        }
        if (received == bytes.size()) break;
        received += splitter->next();
        if (received > bytes.size()) received = bytes.size();
        if (moving && moves < kMaxMoves && splitter->next_random() % 4 == 0) {
            previous = std::move(arrival);
            arrival = std::make_unique<Arrival>(bytes);
            ++moves;
        }
    }
    replies.push_back(ParsedReply{});  // the unfinished reply waiting for more
    return replies;
}

ReplyLimits pick_reply_limits(uint8_t choice) {
    ReplyLimits limits;
    if (choice & kSmallLimits) {  // every limit within reach of short inputs
        limits.max_bulk_length = 16;
        limits.max_reply_bytes = 128;
        limits.max_elements = 8;
        limits.max_depth = 3;
        limits.max_line_length = 16;
    }
    return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderBytes) return 0;
    uint32_t seed;
    std::memcpy(&seed, data + 1, sizeof seed);
    Splitter splitter{seed | 1, size_t{1} << ((data[0] >> 1) % 8)};  // pieces of 1..128 bytes
    std::string_view bytes(reinterpret_cast<const char*>(data) + kHeaderBytes, size - kHeaderBytes);

    if (data[0] & kReplyMode) {
        ReplyLimits limits = pick_reply_limits(data[0]);
        std::vector<ParsedReply> whole = parse_replies(bytes, limits, nullptr, false);
        std::vector<ParsedReply> split = parse_replies(bytes, limits, &splitter, false);
        CHECK(whole == split);
        std::vector<ParsedReply> moving = parse_replies(bytes, limits, &splitter, true);
        CHECK(whole == moving);
        return 0;
    }
    ParserLimits limits = pick_limits(data[0]);
    std::vector<Command> whole = parse_pipeline(bytes, limits, nullptr, false);
    std::vector<Command> split = parse_pipeline(bytes, limits, &splitter, false);
    CHECK(whole == split);
    std::vector<Command> moving = parse_pipeline(bytes, limits, &splitter, true);
    CHECK(whole == moving);
    return 0;
}
