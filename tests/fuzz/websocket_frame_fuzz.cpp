// libFuzzer target for the WebSocket frame decoder and UTF-8 validator: the input is decoded
// whole and in random pieces (which must agree frame by frame), the decoder's invariants are
// checked on every event, and text payloads go through the validator whole and in pieces.
//
// Input layout: byte 0 picks the role, RSV1 and a small or large message limit; bytes 1-4 seed
// the split points; the rest is what a peer sent.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "apps/websocket/frame.hpp"
#include "apps/websocket/utf8.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace coronet::websocket;
using coronet::fuzz::Splitter;

namespace {

constexpr size_t kHeaderBytes = 5;

struct Outcome {
    std::string log;  // frames: head fields and payload
    bool failed = false;
    CloseCode code = CloseCode::Normal;
};

Outcome run(const std::string& input, uint8_t config, Splitter* splitter) {
    Role role = config & 1 ? Role::Client : Role::Server;
    uint64_t limit = config & 4 ? 300 : kDefaultMaxMessage;
    FrameDecoder decoder(role, limit);
    decoder.allow_rsv1(config & 2);
    Outcome out;
    std::string payload;
    uint64_t message_bytes = 0;
    Utf8Validator text;
    size_t at = 0;
    while (at < input.size()) {
        size_t n = splitter ? splitter->next() : input.size();
        if (n > input.size() - at) n = input.size() - at;
        // Each piece in its own heap block: ASan sees a read past it.
        std::vector<char> piece(input.begin() + at, input.begin() + at + n);
        size_t pos = 0;
        while (pos < piece.size()) {
            FrameDecoder::Step step;
            auto event = decoder.decode(piece.data() + pos, piece.size() - pos, step);
            CHECK(step.consumed <= piece.size() - pos);
            if (event == FrameDecoder::Event::Error) {
                out.failed = true;
                out.code = decoder.error().code;
                CHECK(out.code == CloseCode::ProtocolError || out.code == CloseCode::MessageTooBig);
                return out;
            }
            if (event == FrameDecoder::Event::NeedMore) {
                CHECK(step.consumed == piece.size() - pos);
                break;
            }
            CHECK(step.consumed > 0);
            const FrameHeader& h = decoder.header();
            if (event == FrameDecoder::Event::Header) {
                CHECK(step.consumed <= kMaxFrameHeader);
                CHECK(h.masked == (role == Role::Server));
                CHECK(!is_control(h.opcode) || (h.fin && h.length <= kMaxControlPayload));
                if (!is_control(h.opcode)) {
                    if (h.opcode != Opcode::Continuation) message_bytes = 0;
                    message_bytes += h.length;
                    CHECK(message_bytes <= limit);
                }
            } else {
                CHECK(step.payload.data() == piece.data() + pos);
                CHECK(step.payload.size() == step.consumed);
                payload += step.payload;
            }
            if (step.frame_end) {
                CHECK(payload.size() == h.length);
                if (decoder.message_opcode() == Opcode::Text && !is_control(h.opcode))
                    text.feed(payload);
                out.log += std::to_string(static_cast<int>(h.opcode)) + (h.fin ? "F" : "-") +
                           (h.rsv1 ? "R" : "-") + std::to_string(h.length) + ":" + payload + "|";
                payload.clear();
            }
            pos += step.consumed;
        }
        at += n;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderBytes) return 0;
    uint8_t config = data[0];
    uint32_t seed;
    std::memcpy(&seed, data + 1, 4);
    std::string input(reinterpret_cast<const char*>(data) + kHeaderBytes, size - kHeaderBytes);

    Outcome whole = run(input, config, nullptr);
    Splitter splitter{seed | 1, 64};
    Outcome pieces = run(input, config, &splitter);
    CHECK(whole.failed == pieces.failed);
    CHECK(whole.code == pieces.code);
    CHECK(whole.log == pieces.log);

    // UTF-8: the same verdict whole and in pieces; a failure never reverts.
    Utf8Validator split;
    Splitter utf8_splitter{seed | 1, 64};
    bool ok = true;
    for (size_t at = 0; at < input.size();) {
        size_t n = utf8_splitter.next();
        if (n > input.size() - at) n = input.size() - at;
        bool now = split.feed(std::string_view(input).substr(at, n));
        CHECK(ok || !now);
        ok = now;
        at += n;
    }
    CHECK((ok && split.complete()) == is_valid_utf8(input));
    return 0;
}
