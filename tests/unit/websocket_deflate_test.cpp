// permessage-deflate's compression: messages round-trip through Deflater and Inflater with and
// without context takeover, in every window size, inflated in pieces of any size; the size
// limit, corrupt data and the memory count behave as the connection relies on.
#include "apps/websocket/deflate.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::websocket;

namespace {

std::string text_message(size_t size, unsigned seed) {
    static const char* words[] = {"coronet ", "websocket ", "frame ",  "deflate ",
                                  "{\"id\":", "42, ",       "\"ok\"} "};
    std::mt19937 rng(seed);
    std::string s;
    while (s.size() < size) s += words[rng() % 7];
    s.resize(size);
    return s;
}

std::string random_bytes(size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(size, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
}

// Inflates `wire` in pieces of `piece` bytes.
Result<void> inflate_in_pieces(Inflater& inflater, const std::string& wire, size_t piece,
                               uint8_t bits, uint64_t limit, ByteBuffer& out) {
    out.clear();
    size_t at = 0;
    do {
        size_t n = wire.size() - at < piece ? wire.size() - at : piece;
        bool last = at + n == wire.size();
        TRY_VOID(inflater.inflate(std::string_view(wire).substr(at, n), last, bits, limit, out));
        at += n;
    } while (at < wire.size());
    return {};
}

}  // namespace

TEST(WebSocketDeflate, RoundTripsInEveryWindowWithAndWithoutContext) {
    CompressionMemory memory;
    for (uint8_t bits = 9; bits <= 15; ++bits) {
        for (bool keep : {false, true}) {
            Deflater deflater(memory);
            Inflater inflater(memory);
            for (unsigned i = 0; i < 6; ++i) {
                std::string message =
                    i % 3 == 2 ? random_bytes(3000, i) : text_message(500 + i * 4000, i);
                ByteBuffer wire, plain;
                ASSERT_TRUE(deflater.compress(message, bits, keep, wire));
                std::string bytes(wire.view());
                ASSERT_TRUE(inflate_in_pieces(inflater, bytes, 1 + i * 97, bits, 1 << 20, plain));
                inflater.end_message(keep);
                ASSERT_EQ(plain.view(), message)
                    << "bits " << int(bits) << " keep " << keep << " #" << i;
            }
        }
    }
    EXPECT_EQ(memory.used, 0u);  // every stream freed with its owner
    EXPECT_GT(memory.peak, 0u);
}

TEST(WebSocketDeflate, ContextTakeoverShrinksRepeatedMessages) {
    CompressionMemory memory;
    Deflater deflater(memory);
    std::string message = random_bytes(2000, 7);  // incompressible alone
    ByteBuffer first, second, fresh;
    ASSERT_TRUE(deflater.compress(message, 15, true, first));
    ASSERT_TRUE(deflater.compress(message, 15, true, second));
    EXPECT_LT(second.size() * 4, first.size());  // the second refers back to the first
    deflater.forget_context();
    ASSERT_TRUE(deflater.compress(message, 15, true, fresh));
    EXPECT_EQ(fresh.size(), first.size());
}

TEST(WebSocketDeflate, CompressedMessagesLackTheSyncTail) {
    CompressionMemory memory;
    Deflater deflater(memory);
    ByteBuffer wire;
    ASSERT_TRUE(deflater.compress("Hello", 15, false, wire));
    // RFC 7692 §7.2.3.1: "Hello" compressed without context is f2 48 cd c9 c9 07 00.
    EXPECT_EQ(std::string(wire.view()), std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7));
    Inflater inflater(memory);
    ByteBuffer plain;
    ASSERT_TRUE(inflater.inflate(wire.view(), true, 15, 100, plain));
    EXPECT_EQ(plain.view(), "Hello");
}

TEST(WebSocketDeflate, InflatingPastTheLimitIsRefused) {
    CompressionMemory memory;
    Deflater deflater(memory);
    std::string bomb(1 << 20, 'a');  // 1 MiB that compresses to about a kilobyte
    ByteBuffer wire, plain;
    ASSERT_TRUE(deflater.compress(bomb, 15, false, wire));
    EXPECT_LT(wire.size(), 8192u);
    Inflater inflater(memory);
    auto result = inflater.inflate(wire.view(), true, 15, 64 * 1024, plain);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), Error::LimitReached);
    EXPECT_LE(plain.size(), 64u * 1024);
    // Exactly at the limit is fine.
    Inflater exact(memory);
    ByteBuffer all;
    EXPECT_TRUE(exact.inflate(wire.view(), true, 15, bomb.size(), all));
    EXPECT_EQ(all.size(), bomb.size());
}

TEST(WebSocketDeflate, CorruptDataIsMalformed) {
    CompressionMemory memory;
    Inflater inflater(memory);
    ByteBuffer plain;
    auto result =
        inflater.inflate(std::string("\xff\xff\xff\xff\xff", 5), true, 15, 1 << 20, plain);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), Error::Malformed);
}

TEST(WebSocketDeflate, StateSizesMatchWhatZlibAllocates) {
    for (uint8_t bits : {9, 12, 15}) {
        CompressionMemory memory;
        Deflater deflater(memory);
        Inflater inflater(memory);
        ByteBuffer wire, plain;
        ASSERT_TRUE(deflater.compress(text_message(100, 1), bits, true, wire));
        uint64_t deflate_bytes = memory.used;
        EXPECT_LE(deflate_bytes, deflate_state_bytes(bits)) << int(bits);
        EXPECT_GE(deflate_bytes * 5 / 4, deflate_state_bytes(bits)) << int(bits);
        ASSERT_TRUE(inflater.inflate(wire.view(), true, bits, 1000, plain));
        uint64_t inflate_bytes = memory.used - deflate_bytes;
        EXPECT_LE(inflate_bytes, inflate_state_bytes(bits)) << int(bits);
        EXPECT_GE(inflate_bytes * 5 / 4, inflate_state_bytes(bits)) << int(bits);
    }
}
