// libFuzzer target for the WebSocket opening handshake. Server mode: the input is an HTTP
// request head (parsed by the HTTP server's parser) checked as an upgrade under each deflate
// policy; an accepted one must produce a well-formed 101, a refused one a status and a reason.
// Client mode (bit 7 of the first byte, which no request head has; bits 0-5 pick the client's
// offer): the rest is the server's response head, checked against that offer; an accepted one
// must agree only to what was offered, a failed one must say why.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "apps/http/parser.hpp"
#include "apps/websocket/client_handshake.hpp"
#include "apps/websocket/handshake.hpp"
#include "lib/output.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/unit/string_sink.hpp"

using namespace coronet;
using namespace coronet::websocket;

namespace {

constexpr uint8_t kClientMode = 0x80;
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3's

ClientHandshakeOptions client_offer(uint8_t bits) {
    ClientHandshakeOptions options;
    options.deflate.offer = bits & 0x01;
    options.deflate.client_max_window_bits = (bits & 0x02) ? 10 : 15;
    options.deflate.server_max_window_bits = (bits & 0x04) ? 12 : 0;
    options.deflate.server_no_context_takeover = bits & 0x08;
    options.deflate.client_no_context_takeover = bits & 0x10;
    if (bits & 0x20) {
        options.subprotocols[0] = "chat";
        options.subprotocols[1] = "v2";
        options.subprotocol_count = 2;
    }
    return options;
}

// The offer as a request our own server accepts; then the response in the input checked.
void client_response(uint8_t bits, std::string bytes) {
    ClientHandshakeOptions offer = client_offer(bits);
    testing::StringSink request_sink;
    char request_buffer[256];
    Output request_out(request_sink, request_buffer, sizeof request_buffer);
    CHECK(write_client_handshake(request_out, {.host = "a.example", .port = 8080}, kKey, offer));
    CHECK(request_out.flush());
    http::HeadParser request_parser;
    http::Request request;
    CHECK(request_parser.parse(request_sink.data, request) == http::ParseStatus::Done);
    CHECK(request_parser.head_length() == request_sink.data.size());
    CHECK(check_handshake(request, {}).status == 101);

    http::HeadParser parser;
    http::ResponseHead response;
    if (parser.parse(bytes, response, http::Method::Get) != http::ParseStatus::Done) return;
    ClientHandshakeResult result = check_handshake_response(response, kKey, offer);
    CHECK(result.status == response.status);
    if (result.error != Error::None) {
        CHECK(result.error == (response.status == 101 ? Error::Malformed : Error::Refused));
        CHECK(result.reason && result.reason[0]);
        return;
    }
    CHECK(response.status == 101 && result.handshake.status == 101);
    std::string_view chosen = result.handshake.subprotocol;
    CHECK(chosen.empty() || ((bits & 0x20) && (chosen == "chat" || chosen == "v2")));
    if (!result.handshake.deflate) return;
    CHECK(offer.deflate.offer);
    const DeflateParams& p = result.handshake.deflate_params;
    CHECK(p.server_max_window_bits >= kMinWindowBits && p.server_max_window_bits <= kMaxWindowBits);
    CHECK(p.client_max_window_bits >= kMinWindowBits &&
          p.client_max_window_bits <= offer.deflate.client_max_window_bits);
    if (offer.deflate.server_max_window_bits)
        CHECK(p.server_max_window_bits <= offer.deflate.server_max_window_bits);
    if (offer.deflate.server_no_context_takeover) CHECK(p.server_no_context_takeover);
    if (offer.deflate.client_no_context_takeover) CHECK(p.client_no_context_takeover);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 0 && (data[0] & kClientMode)) {
        client_response(data[0], std::string(reinterpret_cast<const char*>(data + 1), size - 1));
        return 0;
    }
    std::string bytes(reinterpret_cast<const char*>(data), size);
    http::HeadParser parser;
    http::Request request;
    if (parser.parse(bytes, request) != http::ParseStatus::Done) return 0;
    for (DeflatePolicy policy :
         {DeflatePolicy::Off, DeflatePolicy::Stateless, DeflatePolicy::Windowed}) {
        HandshakeOptions options;
        options.subprotocols[0] = "chat";
        options.subprotocol_count = 1;
        options.deflate = {policy, 11};
        Handshake h = check_handshake(request, options);
        if (h.status != 101) {
            CHECK(h.status >= 400 && h.status < 600);
            CHECK(h.reason && h.reason[0]);
            continue;
        }
        CHECK(std::strlen(h.accept) == 28);
        CHECK(h.subprotocol.empty() || h.subprotocol == "chat");
        CHECK(!h.deflate || policy != DeflatePolicy::Off);
        if (h.deflate) {
            const DeflateParams& p = h.deflate_params;
            CHECK(p.server_max_window_bits >= kMinWindowBits &&
                  p.server_max_window_bits <= kMaxWindowBits);
            CHECK(p.client_max_window_bits >= kMinWindowBits &&
                  p.client_max_window_bits <= kMaxWindowBits);
            if (policy == DeflatePolicy::Stateless)
                CHECK(p.server_no_context_takeover && p.client_no_context_takeover);
        }
        testing::StringSink sink;
        char buffer[256];
        Output out(sink, buffer, sizeof buffer);
        CHECK(write_handshake_response(out, h));
        CHECK(out.flush());
        CHECK(sink.data.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
        CHECK(sink.data.size() >= 4 && sink.data.compare(sink.data.size() - 4, 4, "\r\n\r\n") == 0);
        CHECK(sink.data.find("\r\n\r\n") == sink.data.size() - 4);  // no header injection
    }
    return 0;
}
