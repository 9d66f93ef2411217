// The client's pure parts: ws:// URLs, the upgrade request it writes, and its checks of the
// server's answer (accept key, upgrade fields, subprotocol, permessage-deflate parameters), as
// real servers answer and as broken or hostile ones might. The server's own handshake code
// answers the client's request in the round-trip tests.
#include "apps/websocket/client_handshake.hpp"

#include <gtest/gtest.h>

#include <list>
#include <string>

#include "apps/http/parser.hpp"
#include "apps/websocket/url.hpp"
#include "lib/output.hpp"
#include "tests/unit/string_sink.hpp"

using namespace coronet;
using namespace coronet::websocket;

namespace {

// RFC 6455 §1.3's example: the key for the nonce "the sample nonce" and its accept value.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

Url url_of(std::string_view text) {
    auto url = parse_url(text);
    EXPECT_TRUE(url.ok()) << text;
    return url.ok() ? *url : Url{};
}

std::string request(const Url& url, const ClientHandshakeOptions& options,
                    std::string_view key = kKey) {
    coronet::testing::StringSink sink;
    char buffer[256];
    Output out(sink, buffer, sizeof buffer);
    EXPECT_TRUE(write_client_handshake(out, url, key, options));
    EXPECT_TRUE(out.flush());
    return sink.data;
}

// Parsed responses stay alive: a result's subprotocol is a view into one.
struct Parsed {
    std::string bytes;
    http::ResponseHead head;
};

ClientHandshakeResult check(const std::string& head, const ClientHandshakeOptions& options = {},
                            std::string_view key = kKey) {
    static std::list<Parsed> responses;
    Parsed& parsed = responses.emplace_back();
    parsed.bytes = head;
    http::HeadParser parser;
    EXPECT_EQ(parser.parse(parsed.bytes, parsed.head, http::Method::Get), http::ParseStatus::Done)
        << head;
    return check_handshake_response(parsed.head, key, options);
}

std::string switching(const std::string& extra = "", std::string_view accept = kAccept) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           std::string(accept) + "\r\n" + extra + "\r\n";
}

ClientHandshakeOptions deflate_offer(uint8_t client_bits = kMaxWindowBits,
                                     uint8_t server_bits = 0) {
    ClientHandshakeOptions options;
    options.deflate.offer = true;
    options.deflate.client_max_window_bits = client_bits;
    options.deflate.server_max_window_bits = server_bits;
    return options;
}

ClientHandshakeResult with_extension(const std::string& value,
                                     const ClientHandshakeOptions& options) {
    return check(switching("Sec-WebSocket-Extensions: " + value + "\r\n"), options);
}

// --- URLs ---------------------------------------------------------------------------------

TEST(WebSocketUrl, SplitsHostPortPathAndQuery) {
    Url url = url_of("ws://echo.internal:8080/chat/room?user=7&x=y");
    EXPECT_EQ(url.host, "echo.internal");
    EXPECT_EQ(url.port, 8080);
    EXPECT_EQ(url.path, "/chat/room");
    EXPECT_EQ(url.query, "?user=7&x=y");

    url = url_of("WS://10.0.2.2");
    EXPECT_EQ(url.host, "10.0.2.2");
    EXPECT_EQ(url.port, 80);
    EXPECT_EQ(url.path, "/");
    EXPECT_EQ(url.query, "");

    url = url_of("ws://[fd00::1]:9001?only=query");
    EXPECT_EQ(url.host, "fd00::1");
    EXPECT_TRUE(url.ipv6_literal());
    EXPECT_EQ(url.port, 9001);
    EXPECT_EQ(url.path, "/");
    EXPECT_EQ(url.query, "?only=query");

    url = url_of("ws://[::1]/");
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.port, 80);
}

TEST(WebSocketUrl, RefusesWhatIsNotAWsUrl) {
    EXPECT_EQ(parse_url("wss://secure.example/").error(), Error::Unsupported);
    for (std::string_view bad : {"http://example.com/",
                                 "ws:/example.com",
                                 "example.com",
                                 "ws://",
                                 "ws://:80/",
                                 "ws://user:pw@example.com/",
                                 "ws://example.com/#fragment",
                                 "ws://example.com:0/",
                                 "ws://example.com:65536/",
                                 "ws://example.com:/",
                                 "ws://example.com:8o/",
                                 "ws://exa mple.com/",
                                 "ws://example.com/a b",
                                 "ws://example.com/\r\nX: y",
                                 "ws://[fd00::1/",
                                 "ws://[fd00::1]x/",
                                 "ws://[]/",
                                 "ws://[fe80::1%25eth0]/",
                                 "ws://a:1:2/",
                                 "ws://caf\xc3\xa9.example/"}) {
        EXPECT_EQ(parse_url(bad).error(), Error::InvalidArgument) << bad;
    }
    EXPECT_EQ(parse_url(std::string(kMaxUrlLength + 1, 'a')).error(), Error::InvalidArgument);
}

TEST(WebSocketUrl, HostFieldNamesThePortOnlyWhenNotDefault) {
    char out[64];
    EXPECT_EQ(std::string(out, format_host_field(url_of("ws://a.example/"), out, sizeof out)),
              "a.example");
    EXPECT_EQ(std::string(out, format_host_field(url_of("ws://a.example:81/"), out, sizeof out)),
              "a.example:81");
    EXPECT_EQ(std::string(out, format_host_field(url_of("ws://[fd00::1]:81/"), out, sizeof out)),
              "[fd00::1]:81");
    EXPECT_EQ(std::string(out, format_host_field(url_of("ws://[fd00::1]/"), out, sizeof out)),
              "[fd00::1]");
    EXPECT_EQ(format_host_field(url_of("ws://a.example:81/"), out, 5), 0u);
}

// --- the request --------------------------------------------------------------------------

TEST(WebSocketClientHandshake, KeyIsBase64OfTheNonce) {
    const uint8_t nonce[kClientKeyBytes] = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p',
                                            'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};
    char key[kClientKeyLength + 1];
    ASSERT_TRUE(make_client_key(nonce, key));
    EXPECT_EQ(std::string_view(key), kKey);
    char accept[29];
    ASSERT_TRUE(accept_key(key, accept));
    EXPECT_EQ(std::string_view(accept), kAccept);
}

TEST(WebSocketClientHandshake, WritesTheUpgradeRequest) {
    EXPECT_EQ(request(url_of("ws://server.example.com/chat"), {}),
              "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n");

    ClientHandshakeOptions options = deflate_offer(10, 12);
    options.subprotocols[0] = "chat";
    options.subprotocols[1] = "superchat";
    options.subprotocol_count = 2;
    options.deflate.client_no_context_takeover = true;
    options.deflate.server_no_context_takeover = true;
    http::Header extra[] = {{"Origin", "http://example.com"}, {"Authorization", "Bearer t"}};
    options.headers = extra;
    options.header_count = 2;
    EXPECT_EQ(request(url_of("ws://[fd00::1]:8080/chat?room=1"), options),
              "GET /chat?room=1 HTTP/1.1\r\nHost: [fd00::1]:8080\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10; "
              "server_max_window_bits=12; client_no_context_takeover; "
              "server_no_context_takeover\r\n"
              "Origin: http://example.com\r\nAuthorization: Bearer t\r\n\r\n");

    // A full window is offered without a value: the server may then ask for a smaller one.
    std::string plain = request(url_of("ws://a/"), deflate_offer());
    EXPECT_NE(plain.find("Sec-WebSocket-Extensions: permessage-deflate; "
                         "client_max_window_bits\r\n"),
              std::string::npos);
}

TEST(WebSocketClientHandshake, RefusesOptionsThatWouldBreakTheRequest) {
    auto refused = [](const ClientHandshakeOptions& options, std::string_view key = kKey) {
        coronet::testing::StringSink sink;
        char buffer[256];
        Output out(sink, buffer, sizeof buffer);
        return write_client_handshake(out, url_of("ws://a/"), key, options).error();
    };
    ClientHandshakeOptions options;
    EXPECT_TRUE(client_options_valid(options));
    options.subprotocols[0] = "two words";
    options.subprotocol_count = 1;
    EXPECT_FALSE(client_options_valid(options));  // checked before connecting
    EXPECT_EQ(refused(options), Error::InvalidArgument);
    options.subprotocols[0] = "a,b";
    EXPECT_EQ(refused(options), Error::InvalidArgument);
    options.subprotocols[0] = "";
    EXPECT_EQ(refused(options), Error::InvalidArgument);

    EXPECT_EQ(refused(deflate_offer(16)), Error::InvalidArgument);
    EXPECT_EQ(refused(deflate_offer(7)), Error::InvalidArgument);
    EXPECT_EQ(refused(deflate_offer(15, 16)), Error::InvalidArgument);

    for (http::Header header :
         {http::Header{"Sec-WebSocket-Key", "x"}, http::Header{"host", "x"},
          http::Header{"X-Split", "a\r\nInjected: yes"}, http::Header{"Bad Name", "x"},
          http::Header{"", "x"}, http::Header{"Content-Length", "5"}}) {
        ClientHandshakeOptions with_header;
        with_header.headers = &header;
        with_header.header_count = 1;
        EXPECT_EQ(refused(with_header), Error::InvalidArgument) << header.name;
    }
    EXPECT_EQ(refused({}, "short"), Error::InvalidArgument);
}

// --- the response -------------------------------------------------------------------------

TEST(WebSocketClientHandshake, AcceptsTheRfcExample) {
    ClientHandshakeResult result = check(switching());
    EXPECT_EQ(result.error, Error::None) << result.reason;
    EXPECT_EQ(result.status, 101);
    EXPECT_EQ(result.handshake.status, 101);
    EXPECT_TRUE(result.handshake.subprotocol.empty());
    EXPECT_FALSE(result.handshake.deflate);

    // Field names and the upgrade tokens in any case, Connection as a list.
    result = check(
        "HTTP/1.1 101 Web Socket Protocol Handshake\r\nupgrade: WebSocket\r\n"
        "connection: keep-alive, UPGRADE\r\nsec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "
        "\r\n\r\n");
    EXPECT_EQ(result.error, Error::None) << result.reason;
}

TEST(WebSocketClientHandshake, AnotherStatusIsARefusal) {
    for (const char* head : {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                             "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                             "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n",
                             "HTTP/1.0 403 Forbidden\r\n\r\n"}) {
        ClientHandshakeResult result = check(head);
        EXPECT_EQ(result.error, Error::Refused) << head;
        EXPECT_NE(result.status, 101);
        EXPECT_NE(std::string(result.reason), "");
    }
    EXPECT_EQ(check("HTTP/1.1 404 Not Found\r\n\r\n").status, 404);
}

TEST(WebSocketClientHandshake, ABrokenSwitchIsMalformed) {
    auto malformed = [](const std::string& head, std::string_view why) {
        ClientHandshakeResult result = check(head);
        EXPECT_EQ(result.error, Error::Malformed) << head;
        EXPECT_NE(std::string(result.reason).find(why), std::string::npos) << result.reason;
    };
    malformed(switching("", "dGhlIHNhbXBsZSBub25jZQ=="), "Accept");
    malformed("HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
              "Accept");
    malformed("HTTP/1.1 101 Switching\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                  std::string(kAccept) + "\r\n\r\n",
              "Upgrade");
    malformed(
        "HTTP/1.1 101 Switching\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
            std::string(kAccept) + "\r\n\r\n",
        "Upgrade");
    malformed("HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " +
                  std::string(kAccept) + "\r\n\r\n",
              "Connection");
    malformed(
        "HTTP/1.0 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
            std::string(kAccept) + "\r\n\r\n",
        "HTTP/1.0");
}

TEST(WebSocketClientHandshake, SubprotocolOnlyAsOffered) {
    ClientHandshakeOptions options;
    options.subprotocols[0] = "chat";
    options.subprotocols[1] = "superchat";
    options.subprotocol_count = 2;
    ClientHandshakeResult result =
        check(switching("Sec-WebSocket-Protocol: superchat\r\n"), options);
    EXPECT_EQ(result.error, Error::None) << result.reason;
    EXPECT_EQ(result.handshake.subprotocol, "superchat");
    // The server may choose none.
    result = check(switching(), options);
    EXPECT_EQ(result.error, Error::None);
    EXPECT_TRUE(result.handshake.subprotocol.empty());

    // Names are case-sensitive; one only; never one that was not offered.
    for (const char* field :
         {"Sec-WebSocket-Protocol: Chat\r\n", "Sec-WebSocket-Protocol: chat, superchat\r\n",
          "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n",
          "Sec-WebSocket-Protocol: other\r\n"}) {
        EXPECT_EQ(check(switching(field), options).error, Error::Malformed) << field;
    }
    EXPECT_EQ(check(switching("Sec-WebSocket-Protocol: chat\r\n")).error, Error::Malformed);
}

TEST(WebSocketClientHandshake, DeflateAnswersAsRealServersGiveThem) {
    // Node's ws with default options: the offer accepted as it is.
    ClientHandshakeResult result = with_extension("permessage-deflate", deflate_offer());
    ASSERT_EQ(result.error, Error::None) << result.reason;
    ASSERT_TRUE(result.handshake.deflate);
    DeflateParams params = result.handshake.deflate_params;
    EXPECT_EQ(params.server_max_window_bits, 15);
    EXPECT_EQ(params.client_max_window_bits, 15);
    EXPECT_FALSE(params.server_no_context_takeover);
    EXPECT_FALSE(params.client_no_context_takeover);

    // python3-websockets' defaults: 12-bit windows both ways.
    result = with_extension(
        "permessage-deflate; server_max_window_bits=12; "
        "client_max_window_bits=12",
        deflate_offer());
    ASSERT_EQ(result.error, Error::None) << result.reason;
    params = result.handshake.deflate_params;
    EXPECT_EQ(params.server_max_window_bits, 12);
    EXPECT_EQ(params.client_max_window_bits, 12);

    // Our own server, Stateless: no context takeover either way, which binds the client too.
    result = with_extension(
        "permessage-deflate; server_no_context_takeover; "
        "client_no_context_takeover",
        deflate_offer(11));
    ASSERT_EQ(result.error, Error::None) << result.reason;
    params = result.handshake.deflate_params;
    EXPECT_TRUE(params.server_no_context_takeover);
    EXPECT_TRUE(params.client_no_context_takeover);
    EXPECT_EQ(params.client_max_window_bits, 11);  // what we offered, as the answer is silent

    // A promise of ours holds whether or not the server repeats it.
    ClientHandshakeOptions promise = deflate_offer();
    promise.deflate.client_no_context_takeover = true;
    result = with_extension("permessage-deflate", promise);
    ASSERT_EQ(result.error, Error::None);
    EXPECT_TRUE(result.handshake.deflate_params.client_no_context_takeover);

    // Declined: no extension in the answer, the connection goes on uncompressed.
    result = check(switching(), deflate_offer());
    EXPECT_EQ(result.error, Error::None);
    EXPECT_FALSE(result.handshake.deflate);

    // Empty list elements and a second field are allowed.
    result = check(switching("Sec-WebSocket-Extensions: ,\r\n"
                             "Sec-WebSocket-Extensions: , PerMessage-Deflate ;"
                             " server_max_window_bits=\"9\"\r\n"),
                   deflate_offer());
    ASSERT_EQ(result.error, Error::None) << result.reason;
    EXPECT_EQ(result.handshake.deflate_params.server_max_window_bits, 9);
}

TEST(WebSocketClientHandshake, DeflateAnswersBeyondTheOfferAreRefused) {
    auto refused = [](const std::string& value, const ClientHandshakeOptions& options) {
        ClientHandshakeResult result = with_extension(value, options);
        EXPECT_EQ(result.error, Error::Malformed) << value;
        EXPECT_FALSE(std::string(result.reason).empty());
    };
    ClientHandshakeOptions none;  // nothing offered
    refused("permessage-deflate", none);
    refused("x-webkit-deflate-frame", deflate_offer());
    refused("permessage-deflate, permessage-deflate", deflate_offer());
    refused("permessage-deflate; unknown_parameter", deflate_offer());
    refused("permessage-deflate; server_max_window_bits=7", deflate_offer());
    refused("permessage-deflate; server_max_window_bits", deflate_offer());
    refused("permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            deflate_offer());
    // client_max_window_bits: a value is required, and no larger than offered.
    refused("permessage-deflate; client_max_window_bits", deflate_offer());
    refused("permessage-deflate; client_max_window_bits=12", deflate_offer(10));
    // server_max_window_bits asked for: it must be answered, within the request.
    refused("permessage-deflate", deflate_offer(15, 10));
    refused("permessage-deflate; server_max_window_bits=11", deflate_offer(15, 10));
    // server_no_context_takeover asked for: the server must agree.
    ClientHandshakeOptions stateless = deflate_offer();
    stateless.deflate.server_no_context_takeover = true;
    refused("permessage-deflate", stateless);
    EXPECT_EQ(with_extension("permessage-deflate; server_no_context_takeover", stateless).error,
              Error::None);
    EXPECT_EQ(with_extension("permessage-deflate; server_max_window_bits=10", deflate_offer(15, 10))
                  .error,
              Error::None);
}

// Our server answers our client: every agreement its policies reach is one the client accepts,
// and both sides end up with the same parameters.
TEST(WebSocketClientHandshake, RoundTripWithTheServer) {
    for (DeflatePolicy policy :
         {DeflatePolicy::Off, DeflatePolicy::Stateless, DeflatePolicy::Windowed}) {
        for (uint8_t server_window : {uint8_t{9}, uint8_t{12}, uint8_t{15}}) {
            for (uint8_t client_bits : {uint8_t{9}, uint8_t{15}}) {
                for (uint8_t server_bits : {uint8_t{0}, uint8_t{10}, uint8_t{15}}) {
                    ClientHandshakeOptions client = deflate_offer(client_bits, server_bits);
                    client.subprotocols[0] = "v2";
                    client.subprotocols[1] = "v1";
                    client.subprotocol_count = 2;
                    std::string upgrade = request(url_of("ws://a.example:8080/x"), client);
                    http::HeadParser parser;
                    http::Request parsed;
                    ASSERT_EQ(parser.parse(upgrade, parsed), http::ParseStatus::Done);
                    HandshakeOptions server;
                    server.subprotocols[0] = "v1";
                    server.subprotocol_count = 1;
                    server.deflate = {policy, server_window};
                    Handshake answer = check_handshake(parsed, server);
                    ASSERT_EQ(answer.status, 101) << answer.reason;

                    coronet::testing::StringSink sink;
                    char buffer[512];
                    Output out(sink, buffer, sizeof buffer);
                    ASSERT_TRUE(write_handshake_response(out, answer));
                    ASSERT_TRUE(out.flush());
                    ClientHandshakeResult result = check(sink.data, client);
                    ASSERT_EQ(result.error, Error::None) << result.reason << "\n" << sink.data;
                    EXPECT_EQ(result.handshake.subprotocol, "v1");
                    ASSERT_EQ(result.handshake.deflate, answer.deflate) << sink.data;
                    if (!answer.deflate) continue;
                    const DeflateParams& ours = result.handshake.deflate_params;
                    const DeflateParams& theirs = answer.deflate_params;
                    EXPECT_EQ(ours.server_no_context_takeover, theirs.server_no_context_takeover);
                    EXPECT_EQ(ours.client_no_context_takeover, theirs.client_no_context_takeover);
                    // We inflate with at least the window the server compresses with (it need
                    // not announce a smaller one we did not ask about), and compress within the
                    // one it inflates with.
                    EXPECT_GE(ours.server_max_window_bits, theirs.server_max_window_bits);
                    if (server_bits) {
                        EXPECT_EQ(ours.server_max_window_bits, theirs.server_max_window_bits);
                    }
                    EXPECT_LE(ours.client_max_window_bits, theirs.client_max_window_bits);
                }
            }
        }
    }
}

}  // namespace
