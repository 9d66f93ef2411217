// libFuzzer target for the WebSocket opening handshake: the input is an HTTP request head
// (parsed by the HTTP server's parser) checked as an upgrade under each deflate policy; an
// accepted one must produce a well-formed 101, a refused one a status and a reason.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "apps/http/parser.hpp"
#include "apps/websocket/handshake.hpp"
#include "lib/output.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/unit/string_sink.hpp"

using namespace coronet;
using namespace coronet::websocket;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
