// The opening handshake and permessage-deflate negotiation: requests as browsers and client
// libraries send them, parsed by the HTTP parser, then checked and answered.
#include "apps/websocket/handshake.hpp"

#include <gtest/gtest.h>

#include <list>
#include <string>

#include "apps/http/parser.hpp"
#include "lib/output.hpp"
#include "tests/unit/string_sink.hpp"

using namespace coronet;
using namespace coronet::websocket;

namespace {

struct Parsed {
    std::string bytes;
    http::Request request;
};

void parse(Parsed& parsed, const std::string& head) {
    parsed.bytes = head;
    http::HeadParser parser;
    ASSERT_EQ(parser.parse(parsed.bytes, parsed.request), http::ParseStatus::Done) << head;
}

std::string upgrade(const std::string& extra = "",
                    const std::string& key = "dGhlIHNhbXBsZSBub25jZQ==") {
    return "GET /ws/echo HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: " +
           key + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
}

// The request stays alive: a handshake's subprotocol is a view into it.
Handshake check(const std::string& head, const HandshakeOptions& options = {}) {
    static std::list<Parsed> requests;
    Parsed& parsed = requests.emplace_back();
    parse(parsed, head);
    return check_handshake(parsed.request, options);
}

std::string response(const Handshake& handshake) {
    coronet::testing::StringSink sink;
    char buffer[512];
    Output out(sink, buffer, sizeof buffer);
    EXPECT_TRUE(write_handshake_response(out, handshake));
    EXPECT_TRUE(out.flush());
    return sink.data;
}

HandshakeOptions with_deflate(DeflatePolicy policy, uint8_t window_bits = 12) {
    HandshakeOptions options;
    options.deflate = {policy, window_bits};
    return options;
}

std::string extension_answer(const std::string& offer, DeflatePolicy policy, uint8_t bits = 12) {
    Handshake h =
        check(upgrade("Sec-WebSocket-Extensions: " + offer + "\r\n"), with_deflate(policy, bits));
    if (!h.deflate) return "declined";
    char out[kDeflateResponseSize];
    return std::string(out, format_deflate_response(h.deflate_params, out));
}

}  // namespace

TEST(WebSocketHandshake, AcceptKeyOfRfc6455Example) {
    char accept[29];
    ASSERT_TRUE(accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept));
    EXPECT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, AcceptedUpgradeGetsThe101) {
    Handshake h = check(upgrade());
    ASSERT_EQ(h.status, 101) << h.reason;
    EXPECT_EQ(response(h),
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(WebSocketHandshake, TokensAreCaseInsensitiveListsAcrossFields) {
    // Firefox: "Connection: keep-alive, Upgrade"; header names and tokens in any case.
    std::string head =
        "GET / HTTP/1.1\r\nHost: h\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n"
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n";
    EXPECT_EQ(check(head).status, 101);
    std::string split =
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nUpgrade: websocket\r\nConnection: x\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    EXPECT_EQ(check(split).status, 101);
}

TEST(WebSocketHandshake, RefusalsSayWhy) {
    EXPECT_EQ(
        check("POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            .status,
        405);
    EXPECT_EQ(check("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n").status,
              400);
    EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status, 426);  // a plain GET
    std::string no_connection = upgrade();
    no_connection.replace(no_connection.find("Connection: Upgrade"), 19, "Connection: close");
    EXPECT_EQ(check(no_connection).status, 400);
    std::string v8 = upgrade();
    v8.replace(v8.find("Version: 13"), 11, "Version: 8");
    EXPECT_EQ(check(v8).status, 426);
    EXPECT_EQ(check(upgrade("", "c2hvcnQ=")).status, 400);                  // 5 bytes
    EXPECT_EQ(check(upgrade("", "dGhlIHNhbXBsZSBub25jZQ")).status, 400);    // unpadded
    EXPECT_EQ(check(upgrade("", "!!!!!!!!!!!!!!!!!!!!!!==")).status, 400);  // not base64
    EXPECT_EQ(check(upgrade("Content-Length: 3\r\n")).status, 400);
}

TEST(WebSocketHandshake, OriginAllowList) {
    HandshakeOptions options;
    options.origins[0] = "https://app.example";
    options.origin_count = 1;
    EXPECT_EQ(check(upgrade("Origin: https://app.example\r\n"), options).status, 101);
    EXPECT_EQ(check(upgrade("Origin: https://evil.example\r\n"), options).status, 403);
    EXPECT_EQ(check(upgrade(), options).status, 403);
    EXPECT_EQ(check(upgrade("Origin: https://evil.example\r\n")).status, 101);  // no list: any
}

TEST(WebSocketHandshake, SubprotocolIsOneOfTheOfferedOrNone) {
    HandshakeOptions options;
    options.subprotocols[0] = "chat.v2";
    options.subprotocols[1] = "chat.v1";
    options.subprotocol_count = 2;
    Handshake h = check(
        upgrade("Sec-WebSocket-Protocol: mqtt, chat.v1\r\nSec-WebSocket-Protocol: chat.v2\r\n"),
        options);
    EXPECT_EQ(h.subprotocol, "chat.v1");  // the client's order
    EXPECT_NE(response(h).find("\r\nSec-WebSocket-Protocol: chat.v1\r\n"), std::string::npos);
    Handshake none = check(upgrade("Sec-WebSocket-Protocol: mqtt, CHAT.V1\r\n"), options);
    EXPECT_EQ(none.status, 101);
    EXPECT_TRUE(none.subprotocol.empty());
    EXPECT_EQ(response(none).find("Sec-WebSocket-Protocol"), std::string::npos);
    options.subprotocol_hook = [](std::string_view offered, void*) { return offered == "mqtt"; };
    EXPECT_EQ(check(upgrade("Sec-WebSocket-Protocol: xmpp, mqtt\r\n"), options).subprotocol,
              "mqtt");
}

TEST(WebSocketHandshake, DeflateOffersAsBrowsersSendThem) {
    // Chrome and Firefox.
    EXPECT_EQ(
        extension_answer("permessage-deflate; client_max_window_bits", DeflatePolicy::Windowed),
        "permessage-deflate; client_max_window_bits=12");
    EXPECT_EQ(extension_answer("permessage-deflate", DeflatePolicy::Windowed),
              "permessage-deflate");
    EXPECT_EQ(
        extension_answer("permessage-deflate; client_max_window_bits", DeflatePolicy::Stateless),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    EXPECT_EQ(extension_answer("permessage-deflate", DeflatePolicy::Off), "declined");
}

TEST(WebSocketHandshake, DeflateParametersAreBoundedByTheOffer) {
    EXPECT_EQ(
        extension_answer("permessage-deflate; server_max_window_bits=10", DeflatePolicy::Windowed),
        "permessage-deflate; server_max_window_bits=10");
    EXPECT_EQ(extension_answer("permessage-deflate; server_max_window_bits=\"14\"",
                               DeflatePolicy::Windowed, 15),
              "permessage-deflate; server_max_window_bits=14");
    EXPECT_EQ(
        extension_answer("permessage-deflate; client_max_window_bits=9", DeflatePolicy::Windowed),
        "permessage-deflate; client_max_window_bits=9");
    EXPECT_EQ(extension_answer(
                  "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                  DeflatePolicy::Windowed),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(WebSocketHandshake, AClientWindowIsSmallerOnlyWhenTheResponseSaysSo) {
    // Autobahn's 12.x/13.x offers: the window we inflate with must be the one we announced,
    // or 15 bits when we announce none.
    Parsed parsed;
    parse(parsed,
          upgrade("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; "
                  "client_max_window_bits\r\n"));
    for (DeflatePolicy policy : {DeflatePolicy::Stateless, DeflatePolicy::Windowed}) {
        Handshake h = check_handshake(parsed.request, with_deflate(policy, 12));
        ASSERT_TRUE(h.deflate);
        char out[kDeflateResponseSize];
        std::string answer(out, format_deflate_response(h.deflate_params, out));
        bool announced = answer.find("client_max_window_bits=") != std::string::npos;
        EXPECT_EQ(h.deflate_params.client_max_window_bits == kMaxWindowBits, !announced) << answer;
    }
    EXPECT_EQ(
        extension_answer("permessage-deflate; client_no_context_takeover; client_max_window_bits",
                         DeflatePolicy::Windowed),
        "permessage-deflate; client_no_context_takeover; client_max_window_bits=12");
}

TEST(WebSocketHandshake, InvalidOffersAreDeclinedAndTheNextTried) {
    for (const char* bad :
         {"permessage-deflate; server_max_window_bits",
          "permessage-deflate; server_max_window_bits=16",
          "permessage-deflate; server_max_window_bits=7",
          "permessage-deflate; client_max_window_bits=abc",
          "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; unknown",
          "permessage-deflate; client_no_context_takeover; client_no_context_takeover"})
        EXPECT_EQ(extension_answer(bad, DeflatePolicy::Windowed), "declined") << bad;
    EXPECT_EQ(
        extension_answer("x-webkit-deflate-frame, permessage-deflate; foo, permessage-deflate; "
                         "server_no_context_takeover",
                         DeflatePolicy::Windowed),
        "permessage-deflate; server_no_context_takeover");
}
