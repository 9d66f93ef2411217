// What every test of an incremental parser asks: do the same bytes parse alike whole, split in
// two at every byte, byte by byte and in random pieces, both in place and in a buffer that
// moves between calls? A parser takes part through a session made fresh for each way of
// feeding it: an object with
//   ParseStatus feed(std::string_view buffer)              // every byte so far, unchanged
//   Outcome outcome(ParseStatus status, std::string_view buffer)  // comparable, printable
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace coronet::splits {

// A view as "offset+length" from the start of `buffer` ("-" when empty), so that the results of
// parses over the same bytes in different buffers compare equal; a view reaching past the first
// `limit` bytes fails the test.
inline std::string where(std::string_view view, std::string_view buffer, size_t limit) {
    if (view.empty()) return "-";
    EXPECT_GE(view.data(), buffer.data());
    EXPECT_LE(view.data() + view.size(), buffer.data() + limit);
    return std::to_string(view.data() - buffer.data()) + "+" + std::to_string(view.size());
}

// Feeds `input` as a buffer growing by the sizes `next_size` returns, as a receive loop would,
// until the session stops asking for more. `moving`: every call gets a fresh copy and the
// previous one is freed, so a parser that kept a pointer into an old copy reads freed memory,
// which ASan reports. A finished parser must stay finished when called again.
template <typename MakeSession, typename NextSize>
auto feed_growing(std::string_view input, const MakeSession& make_session, bool moving,
                  NextSize next_size) {
    auto session = make_session();
    std::unique_ptr<char[]> held;
    std::string_view buffer;
    using Status = decltype(session.feed(buffer));
    const Status need_more{};  // every parser's ParseStatus starts with NeedMore
    Status status = need_more;
    size_t size = 0;
    while (status == need_more && size < input.size()) {
        size = std::min(size + next_size(), input.size());
        if (moving) {
            auto copy = std::make_unique<char[]>(size);
            std::memcpy(copy.get(), input.data(), size);
            buffer = {copy.get(), size};
            status = session.feed(buffer);
            held = std::move(copy);  // the old copy goes only now: the new one is elsewhere
        } else {
            buffer = input.substr(0, size);
            status = session.feed(buffer);
        }
    }
    auto outcome = session.outcome(status, buffer);
    if (status != need_more) {
        EXPECT_EQ(session.feed(buffer), status) << "and stays so";
    }
    return outcome;
}

struct SplitOptions {
    // Off for long inputs: both are quadratic (the moving buffer is copied on every call).
    bool every_split = true;    // split in two at every byte
    bool byte_by_byte = true;   // one byte more on every call
    size_t largest_piece = 16;  // of the random pieces
};

// Parses `input` whole and checks every other way of feeding it gives the same outcome;
// returns the whole parse's.
template <typename MakeSession>
auto expect_alike_when_split(std::string_view input, const MakeSession& make_session,
                             const SplitOptions& options = {}) {
    auto whole = feed_growing(input, make_session, false, [&] { return input.size(); });
    for (bool moving : {false, true}) {
        const char* how = moving ? ", moving" : "";
        for (size_t split = 1; options.every_split && split < input.size(); ++split) {
            bool first = true;
            auto two = [&] {
                size_t piece = first ? split : input.size();
                first = false;
                return piece;
            };
            EXPECT_EQ(feed_growing(input, make_session, moving, two), whole)
                << "split at " << split << how;
        }
        if (options.byte_by_byte) {
            EXPECT_EQ(feed_growing(input, make_session, moving, [] { return size_t{1}; }), whole)
                << "byte by byte" << how;
        }
        std::mt19937 random(static_cast<uint32_t>(input.size()));
        std::uniform_int_distribution<size_t> piece(1, options.largest_piece);
        EXPECT_EQ(feed_growing(input, make_session, moving, [&] { return piece(random); }), whole)
            << "random pieces" << how;
    }
    return whole;
}

}  // namespace coronet::splits
