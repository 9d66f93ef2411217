// Response heads and bodies as a client reads them: status line, Date/Server/Content-Length,
// keep-alive rules per HTTP version, HEAD without body, chunked streaming, output batching.
#include <gtest/gtest.h>

#include <string>

#include "apps/http/response.hpp"
#include "lib/output.hpp"
#include "tests/unit/string_sink.hpp"

namespace coronet::http {
namespace {

using testing::StringSink;

struct Fixture : ::testing::Test {
    StringSink sink;
    char buffer[256];
    Output output{sink, buffer, sizeof buffer};

    std::string flushed() {
        EXPECT_TRUE(output.flush().ok());
        return sink.data;
    }
};

constexpr std::string_view kDate = "Tue, 24 Nov 2026 10:00:00 GMT";

using HttpResponse = Fixture;

TEST_F(HttpResponse, FixedBodyOnHttp11KeepAlive) {
    Response r(output, {.date = kDate});
    ASSERT_TRUE(r.send("Hello, world!\n").ok());
    EXPECT_EQ(
        flushed(),
        "HTTP/1.1 200 OK\r\nServer: coronet\r\nDate: Tue, 24 Nov 2026 10:00:00 GMT\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nHello, world!\n");
    EXPECT_TRUE(r.keep_alive());
    EXPECT_TRUE(r.finished());
}

TEST_F(HttpResponse, Http10KeepAliveIsAnnounced) {
    Response r(output, {.version = Version::Http10, .date = {}});
    ASSERT_TRUE(r.send("x").ok());
    std::string text = flushed();
    EXPECT_NE(text.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("Date:"), std::string::npos);
}

TEST_F(HttpResponse, CloseIsAnnounced) {
    Response r(output, {});
    r.set_close();
    ASSERT_TRUE(r.send("x").ok());
    EXPECT_NE(flushed().find("\r\nConnection: close\r\n"), std::string::npos);
    EXPECT_FALSE(r.keep_alive());
}

TEST_F(HttpResponse, HeadHasLengthButNoBody) {
    Response r(output, {.head_only = true, .date = {}});
    ASSERT_TRUE(r.send("Hello, world!\n").ok());
    std::string text = flushed();
    EXPECT_NE(text.find("Content-Length: 14\r\n"), std::string::npos);
    EXPECT_EQ(text.substr(text.size() - 4), "\r\n\r\n");
}

TEST_F(HttpResponse, NotModifiedHasNoBodyOrLength) {
    Response r(output, {});
    r.set_status(304);
    ASSERT_TRUE(r.add_header("ETag", "\"abc\""));
    ASSERT_TRUE(r.send_empty().ok());
    EXPECT_EQ(flushed(), "HTTP/1.1 304 Not Modified\r\nServer: coronet\r\nETag: \"abc\"\r\n\r\n");
}

TEST_F(HttpResponse, ChunkedStreamOnHttp11) {
    Response r(output, {});
    ASSERT_TRUE(r.begin_stream("text/plain").ok());
    ASSERT_TRUE(r.write("hello ").ok());
    ASSERT_TRUE(r.write("").ok());  // an empty piece must not end the body
    ASSERT_TRUE(r.write(std::string(300, 'x')).ok());
    ASSERT_TRUE(r.end().ok());
    std::string text = flushed();
    std::string body = text.substr(text.find("\r\n\r\n") + 4);
    EXPECT_NE(text.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_EQ(body, "6\r\nhello \r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n");
    EXPECT_TRUE(r.keep_alive());
}

TEST_F(HttpResponse, StreamOnHttp10EndsWithTheConnection) {
    Response r(output, {.version = Version::Http10, .date = {}});
    ASSERT_TRUE(r.begin_stream("text/plain").ok());
    ASSERT_TRUE(r.write("abc").ok());
    ASSERT_TRUE(r.end().ok());
    std::string text = flushed();
    EXPECT_EQ(text.find("chunked"), std::string::npos);
    EXPECT_NE(text.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(text.substr(text.size() - 3), "abc");
    EXPECT_FALSE(r.keep_alive());
}

TEST_F(HttpResponse, ExtraHeadersAreBounded) {
    Response r(output, {});
    std::string big(kExtraHeaderSpace, 'v');
    EXPECT_FALSE(r.add_header("X-Big", big));
    EXPECT_TRUE(r.add_header("X-Small", "1"));
}

TEST_F(HttpResponse, SecondSendIsRefused) {
    Response r(output, {});
    ASSERT_TRUE(r.send("a").ok());
    EXPECT_FALSE(r.send("b").ok());
}

TEST_F(HttpResponse, PipelinedResponsesLeaveInOneWrite) {
    char big[4096];
    Output batch(sink, big, sizeof big);
    for (int i = 0; i < 16; ++i) {
        Response r(batch, {});
        ASSERT_TRUE(r.send("ok\n").ok());
    }
    EXPECT_EQ(sink.writes, 0);  // still gathered
    ASSERT_TRUE(batch.flush().ok());
    EXPECT_EQ(sink.writes, 1);
}

TEST_F(HttpResponse, LargeBodiesBypassTheBuffer) {
    Response r(output, {});
    std::string body(10000, 'b');
    ASSERT_TRUE(r.send(body).ok());
    EXPECT_EQ(flushed().substr(flushed().size() - body.size()), body);
    EXPECT_EQ(output.total(), sink.data.size());
}

TEST_F(HttpResponse, WriteErrorsReachTheCaller) {
    sink.fail = true;
    Response r(output, {});
    EXPECT_FALSE(r.send(std::string(1000, 'z')).ok());
}

}  // namespace
}  // namespace coronet::http
