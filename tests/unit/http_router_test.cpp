// Routing (literal, :param, *rest, HEAD via GET, 404 vs 405 with Allow), path decoding and
// containment, and serving bundle files with ETag revalidation.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "apps/http/bundle.hpp"
#include "apps/http/path.hpp"
#include "apps/http/router.hpp"
#include "tests/unit/string_sink.hpp"

namespace coronet::http {
namespace {

Result<void> handler_a(Exchange&) { return {}; }
Result<void> handler_b(Exchange&) { return {}; }
Result<void> handler_c(Exchange&) { return {}; }

// A route to add, and a request with the handler it must reach (nullptr: none).
struct Route {
    Method method;
    const char* pattern;
    Handler handler;
};
struct Routed {
    Method method;
    const char* path;
    Handler handler;
};

// A router holding `routes`, each of which it must accept.
Router router_with(std::initializer_list<Route> routes) {
    Router router;
    for (const Route& r : routes)
        EXPECT_TRUE(router.add(r.method, r.pattern, r.handler).ok()) << r.pattern;
    return router;
}

void expect_routed(const Router& router, std::initializer_list<Routed> requests) {
    for (const Routed& r : requests)
        EXPECT_EQ(router.match(r.method, r.path).handler, r.handler)
            << method_name(r.method) << " " << r.path;
}

TEST(HttpRouter, LiteralParamAndRest) {
    Router router = router_with({{Method::Get, "/", handler_a},
                                 {Method::Get, "/users/:id/posts/:post", handler_b},
                                 {Method::Get, "/static/*file", handler_c}});
    expect_routed(router, {{Method::Get, "/", handler_a},
                           {Method::Get, "/users/42/posts/7", handler_b},
                           {Method::Get, "/users//posts/7", nullptr},  // empty :id
                           {Method::Get, "/users/42/posts", nullptr},
                           {Method::Get, "/users/42/posts/7/x", nullptr},
                           {Method::Get, "/static/css/site.css", handler_c},
                           {Method::Get, "/static/", handler_c},
                           {Method::Get, "/nothing", nullptr}});
    auto m = router.match(Method::Get, "/users/42/posts/7");
    EXPECT_EQ(m.params.get("id"), "42");
    EXPECT_EQ(m.params.get("post"), "7");
    m = router.match(Method::Get, "/static/css/site.css");
    EXPECT_EQ(m.params.get("file"), "css/site.css");
    EXPECT_EQ(router.match(Method::Get, "/static/").params.get("file"), "");
    EXPECT_EQ(router.match(Method::Get, "/nothing").allow[0], '\0');  // 404, not 405
}

TEST(HttpRouter, HeadUsesGetRoutesAndOtherMethodsGetAllow) {
    Router router =
        router_with({{Method::Get, "/thing", handler_a}, {Method::Post, "/thing", handler_b}});
    expect_routed(router, {{Method::Head, "/thing", handler_a},
                           {Method::Post, "/thing", handler_b},
                           {Method::Delete, "/thing", nullptr}});
    EXPECT_STREQ(router.match(Method::Delete, "/thing").allow, "GET, HEAD, POST");
}

TEST(HttpRouter, FirstMatchWins) {
    Router router =
        router_with({{Method::Get, "/a", handler_a}, {Method::Get, "/*rest", handler_b}});
    expect_routed(router, {{Method::Get, "/a", handler_a}, {Method::Get, "/b", handler_b}});
}

TEST(HttpRouter, BadPatternsAndTheLimit) {
    Router router;
    EXPECT_EQ(router.add(Method::Get, "no-slash", handler_a).error(), Error::InvalidArgument);
    EXPECT_EQ(router.add(Method::Get, "/*rest/more", handler_a).error(), Error::InvalidArgument);
    for (size_t i = 0; i < kMaxRoutes; ++i)
        ASSERT_TRUE(router.add(Method::Get, "/x", handler_a).ok());
    EXPECT_EQ(router.add(Method::Get, "/y", handler_a).error(), Error::LimitReached);
}

TEST(HttpPath, PercentDecoding) {
    char out[16];
    EXPECT_EQ(percent_decode("a%20b", out, sizeof out), 3);
    EXPECT_EQ(std::string(out, 3), "a b");
    EXPECT_EQ(percent_decode("%2e%2E", out, sizeof out), 2);
    EXPECT_EQ(std::string(out, 2), "..");
    EXPECT_EQ(percent_decode("bad%2", out, sizeof out), -1);
    EXPECT_EQ(percent_decode("bad%zz", out, sizeof out), -1);
    EXPECT_EQ(percent_decode("%", out, sizeof out), -1);
    EXPECT_EQ(percent_decode("0123456789abcdefg", out, sizeof out), -1);  // does not fit
}

TEST(HttpPath, Containment) {
    for (std::string_view inside : {"index.html", "css/site.css", "..hidden"})
        EXPECT_TRUE(is_contained_path(inside)) << inside;
    const std::string_view outside[] = {
        "",      "/etc/passwd", "../secret", "a/../../b",
        "a/./b", "a//b",        "a\\..\\b",  std::string_view("a\0b", 3),
    };
    for (std::string_view path : outside) EXPECT_FALSE(is_contained_path(path)) << path;
}

using testing::StringSink;

const unsigned char kPage[] = {'<', 'p', '>', 'h', 'i', '<', '/', 'p', '>'};
const BundleFile kFiles[] = {
    {"index.html", "text/html; charset=utf-8", "\"e1\"", kPage, sizeof kPage},
    {"css/site.css", "text/css; charset=utf-8", "\"e2\"", kPage, 0},
};
const Bundle kBundle{kFiles, 2};

std::string serve(std::string_view raw_name, std::string_view if_none_match = {}) {
    StringSink sink;
    char buffer[512];
    Output output(sink, buffer, sizeof buffer);
    Request request;
    if (!if_none_match.empty())
        request.headers[request.header_count++] = {"If-None-Match", if_none_match};
    Response response(output, {});
    EXPECT_TRUE(serve_from_bundle(kBundle, raw_name, request, response).ok());
    EXPECT_TRUE(output.flush().ok());
    return sink.data;
}

TEST(HttpBundle, ServesFilesWithTypeAndEtag) {
    std::string text = serve("index.html");
    EXPECT_EQ(text.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << text;
    EXPECT_NE(text.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
    EXPECT_NE(text.find("ETag: \"e1\"\r\n"), std::string::npos);
    EXPECT_EQ(text.substr(text.size() - 9), "<p>hi</p>");
    EXPECT_EQ(serve("css%2Fsite.css").rfind("HTTP/1.1 200 OK", 0), 0u);
}

TEST(HttpBundle, ConditionalGet) {
    EXPECT_EQ(serve("index.html", "\"e1\"").rfind("HTTP/1.1 304 Not Modified\r\n", 0), 0u);
    EXPECT_EQ(serve("index.html", "\"x\", W/\"e1\"").rfind("HTTP/1.1 304", 0), 0u);
    EXPECT_EQ(serve("index.html", "*").rfind("HTTP/1.1 304", 0), 0u);
    EXPECT_EQ(serve("index.html", "\"e2\"").rfind("HTTP/1.1 200", 0), 0u);
    std::string not_modified = serve("index.html", "\"e1\"");
    EXPECT_EQ(not_modified.find("<p>"), std::string::npos);
}

TEST(HttpBundle, NothingEscapesOrIsInvented) {
    EXPECT_EQ(serve("../index.html").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(serve("%2e%2e/index.html").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(serve("css/../index.html").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(serve("index.html%00").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(serve("bad%zz").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(serve("missing.html").rfind("HTTP/1.1 404", 0), 0u);
    EXPECT_EQ(serve("").rfind("HTTP/1.1 400", 0), 0u);
}

}  // namespace
}  // namespace coronet::http
