// WebSocket framing: frames a client would send, decoded whole, split at every byte and one
// byte at a time (which must all decode alike), and every framing rule the decoder enforces.
#include "apps/websocket/frame.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace coronet::websocket;

namespace {

const uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

// A masked client frame, as a browser would send it.
std::string client_frame(Opcode opcode, std::string_view payload, bool fin = true,
                         bool rsv1 = false, const uint8_t* mask = kMask) {
    uint8_t head[kMaxFrameHeader];
    size_t n = encode_header(head, opcode, payload.size(), fin, rsv1, mask);
    std::string frame(reinterpret_cast<char*>(head), n);
    std::string body(payload);
    if (mask) apply_mask(body.data(), body.size(), mask, 0);
    return frame + body;
}

struct Decoded {
    std::string log;  // one line per frame: opcode, fin, rsv1, length, payload
    bool failed = false;
    CloseCode code = CloseCode::Normal;
};

// Feeds `bytes` in pieces of the sizes `piece` gives, as reads from a socket would arrive.
template <typename Piece>
Decoded decode(std::string bytes, Piece piece, Role role = Role::Server,
               uint64_t max_message = kDefaultMaxMessage, bool rsv1 = false) {
    FrameDecoder decoder(role, max_message);
    decoder.allow_rsv1(rsv1);
    Decoded out;
    std::string payload;
    size_t at = 0;
    while (at < bytes.size()) {
        size_t end = at + piece();
        if (end > bytes.size()) end = bytes.size();
        std::string chunk = bytes.substr(at, end - at);
        size_t pos = 0;
        while (pos < chunk.size()) {
            FrameDecoder::Step step;
            auto event = decoder.decode(chunk.data() + pos, chunk.size() - pos, step);
            if (event == FrameDecoder::Event::Error) {
                out.failed = true;
                out.code = decoder.error().code;
                return out;
            }
            EXPECT_TRUE(step.consumed > 0 || event == FrameDecoder::Event::NeedMore);
            if (event == FrameDecoder::Event::Payload) payload += step.payload;
            if (step.frame_end) {
                const FrameHeader& h = decoder.header();
                out.log += std::to_string(static_cast<int>(h.opcode)) + (h.fin ? " fin" : " more") +
                           (h.rsv1 ? " rsv1 " : " ") + std::to_string(h.length) + " " + payload +
                           "\n";
                payload.clear();
            }
            pos += step.consumed;
            if (event == FrameDecoder::Event::NeedMore) break;
        }
        at = end;
    }
    return out;
}

Decoded decode_whole(const std::string& bytes, Role role = Role::Server,
                     uint64_t max_message = kDefaultMaxMessage, bool rsv1 = false) {
    size_t size = bytes.size() ? bytes.size() : 1;
    return decode(
        bytes, [&] { return size; }, role, max_message, rsv1);
}

// Decodes whole, then split in two at every byte, then one byte at a time: all must agree.
Decoded decode_all_ways(const std::string& bytes, uint64_t max_message = kDefaultMaxMessage,
                        bool rsv1 = false) {
    Decoded whole = decode_whole(bytes, Role::Server, max_message, rsv1);
    for (size_t split = 1; split < bytes.size(); ++split) {
        bool first = true;
        Decoded parts = decode(
            bytes,
            [&] {
                size_t n = first ? split : bytes.size();
                first = false;
                return n;
            },
            Role::Server, max_message, rsv1);
        EXPECT_EQ(parts.log, whole.log) << "split at " << split;
        EXPECT_EQ(parts.failed, whole.failed) << "split at " << split;
    }
    Decoded bytewise = decode(
        bytes, [] { return size_t{1}; }, Role::Server, max_message, rsv1);
    EXPECT_EQ(bytewise.log, whole.log);
    EXPECT_EQ(bytewise.failed, whole.failed);
    return whole;
}

}  // namespace

TEST(WebSocketFrame, FragmentsWithControlFramesBetweenDecodeAtEverySplit) {
    std::string bytes = client_frame(Opcode::Text, "Hel", false) + client_frame(Opcode::Ping, "p") +
                        client_frame(Opcode::Continuation, "lo", false) +
                        client_frame(Opcode::Continuation, "", true) +
                        client_frame(Opcode::Binary, std::string(130, 'b')) +
                        client_frame(Opcode::Close, "\x03\xe8");
    Decoded d = decode_all_ways(bytes);
    EXPECT_FALSE(d.failed);
    EXPECT_EQ(d.log, "1 more 3 Hel\n9 fin 1 p\n0 more 2 lo\n0 fin 0 \n2 fin 130 " +
                         std::string(130, 'b') + "\n8 fin 2 \x03\xe8\n");
}

TEST(WebSocketFrame, LengthEncodingsAtTheirBoundaries) {
    for (size_t length : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
        std::string payload(length, 'x');
        for (size_t i = 0; i < length; ++i) payload[i] = static_cast<char>('a' + i % 26);
        uint8_t head[kMaxFrameHeader];
        size_t n = encode_header(head, Opcode::Binary, length, true, false, kMask);
        EXPECT_EQ(n, (length < 126 ? 2u : length <= 65535 ? 4u : 10u) + 4u);
        Decoded d = decode_whole(client_frame(Opcode::Binary, payload));
        EXPECT_FALSE(d.failed) << length;
        EXPECT_EQ(d.log, "2 fin " + std::to_string(length) + " " + payload + "\n");
    }
}

TEST(WebSocketFrame, NonMinimalLengthsFromClientsAreAccepted) {
    // 5 bytes announced with the 16-bit and the 64-bit form.
    std::string sixteen = "\x82\xfe" + std::string("\x00\x05", 2) + std::string(4, '\0') + "hello";
    std::string sixty_four =
        "\x82\xff" + std::string("\0\0\0\0\0\0\0\x05", 8) + std::string(4, '\0') + "hello";
    EXPECT_EQ(decode_all_ways(sixteen).log, "2 fin 5 hello\n");
    EXPECT_EQ(decode_all_ways(sixty_four).log, "2 fin 5 hello\n");
}

TEST(WebSocketFrame, MaskingIsRequiredFromClientsAndRefusedFromServers) {
    EXPECT_EQ(decode_whole(client_frame(Opcode::Text, "hi", true, false, nullptr)).code,
              CloseCode::ProtocolError);
    EXPECT_TRUE(decode_whole(client_frame(Opcode::Text, "hi"), Role::Client).failed);
    Decoded server =
        decode_whole(client_frame(Opcode::Text, "hi", true, false, nullptr), Role::Client);
    EXPECT_FALSE(server.failed);
    EXPECT_EQ(server.log, "1 fin 2 hi\n");
}

TEST(WebSocketFrame, FramingViolationsFailWithProtocolError) {
    std::string big(126, 'x');
    const std::vector<std::pair<const char*, std::string>> cases = {
        {"unknown data opcode", client_frame(static_cast<Opcode>(3), "x")},
        {"unknown control opcode", client_frame(static_cast<Opcode>(0xB), "x")},
        {"fragmented ping", client_frame(Opcode::Ping, "x", false)},
        {"126-byte ping", client_frame(Opcode::Ping, big)},
        {"continuation first", client_frame(Opcode::Continuation, "x")},
        {"text inside a message",
         client_frame(Opcode::Text, "a", false) + client_frame(Opcode::Text, "b")},
        {"rsv1 without extension", client_frame(Opcode::Text, "x", true, true)},
        {"rsv2", std::string("\xa1\x81", 2) + std::string(4, '\0') + "x"},
        {"rsv3", std::string("\x91\x81", 2) + std::string(4, '\0') + "x"},
        {"64-bit length with MSB",
         "\x82\xff" + std::string("\x80\0\0\0\0\0\0\x01", 8) + std::string(4, '\0')},
    };
    for (const auto& [name, bytes] : cases) {
        Decoded d = decode_all_ways(bytes);
        EXPECT_TRUE(d.failed) << name;
        EXPECT_EQ(d.code, CloseCode::ProtocolError) << name;
    }
}

TEST(WebSocketFrame, Rsv1IsForTheFirstFrameOfADataMessageOnly) {
    std::string ok = client_frame(Opcode::Text, "ab", false, true) +
                     client_frame(Opcode::Continuation, "c", true);
    Decoded d = decode_all_ways(ok, kDefaultMaxMessage, true);
    EXPECT_FALSE(d.failed);
    EXPECT_EQ(d.log, "1 more rsv1 2 ab\n0 fin 1 c\n");
    std::string on_continuation = client_frame(Opcode::Text, "ab", false, true) +
                                  client_frame(Opcode::Continuation, "c", true, true);
    EXPECT_TRUE(decode_all_ways(on_continuation, kDefaultMaxMessage, true).failed);
    EXPECT_TRUE(
        decode_all_ways(client_frame(Opcode::Ping, "", true, true), kDefaultMaxMessage, true)
            .failed);
}

TEST(WebSocketFrame, MessagesPastTheLimitFailWith1009AsTheHeadArrives) {
    // The second fragment takes the message past 100 bytes: refused before its payload.
    std::string bytes = client_frame(Opcode::Binary, std::string(60, 'a'), false) +
                        client_frame(Opcode::Continuation, std::string(41, 'b'));
    Decoded d = decode_all_ways(bytes, 100);
    EXPECT_TRUE(d.failed);
    EXPECT_EQ(d.code, CloseCode::MessageTooBig);
    // 2^63 - 1 announced: refused on the head alone.
    std::string huge =
        "\x82\xff" + std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8) + std::string(4, '\0');
    EXPECT_EQ(decode_whole(huge).code, CloseCode::MessageTooBig);
    EXPECT_FALSE(
        decode_whole(client_frame(Opcode::Binary, std::string(100, 'a')), Role::Server, 100)
            .failed);
}

TEST(WebSocketFrame, ADecoderThatFailedStaysFailed) {
    FrameDecoder decoder(Role::Server);
    std::string bad = client_frame(Opcode::Text, "x", true, false, nullptr);
    FrameDecoder::Step step;
    EXPECT_EQ(decoder.decode(bad.data(), bad.size(), step), FrameDecoder::Event::Error);
    std::string good = client_frame(Opcode::Text, "x");
    EXPECT_EQ(decoder.decode(good.data(), good.size(), step), FrameDecoder::Event::Error);
}

TEST(WebSocketFrame, MaskingAtAnyOffsetIsItsOwnInverse) {
    std::string text(100, '\0');
    for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(i * 7);
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t start = 0; start < 20; ++start) {
            std::string masked = text;
            apply_mask(masked.data() + start, masked.size() - start, kMask, offset);
            for (size_t i = start; i < text.size(); ++i)
                ASSERT_EQ(static_cast<uint8_t>(masked[i]),
                          static_cast<uint8_t>(text[i]) ^ kMask[(offset + i - start) & 3]);
            apply_mask(masked.data() + start, masked.size() - start, kMask, offset);
            ASSERT_EQ(masked, text);
        }
    }
}

TEST(WebSocketFrame, CloseCodesAllowedOnTheWire) {
    for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                          3000, 3999, 4000, 4999})
        EXPECT_TRUE(close_code_allowed_on_wire(code)) << code;
    for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        EXPECT_FALSE(close_code_allowed_on_wire(code)) << code;
}
