// The http.proxy option's grammar: prefixes, upstream lists (names, IPv4, bracketed IPv6),
// per-prefix options, what is refused; and the target an upstream is sent with `strip`.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "apps/http/proxy_spec.hpp"

namespace coronet::http {
namespace {

TEST(HttpProxySpec, PrefixAndUpstreams) {
    auto spec = parse_proxy_spec("/api=10.0.0.7:8080,backend.internal:80,[fd00::1]:8443");
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->prefix, "/api");
    ASSERT_EQ(spec->upstream_count, 3u);
    EXPECT_EQ(spec->upstreams[0].host, "10.0.0.7");
    EXPECT_EQ(spec->upstreams[0].port, 8080);
    EXPECT_EQ(spec->upstreams[1].host, "backend.internal");
    EXPECT_EQ(spec->upstreams[1].port, 80);
    EXPECT_EQ(spec->upstreams[2].host, "fd00::1");
    EXPECT_EQ(spec->upstreams[2].port, 8443);
    // Nothing this prefix did not name: the shared options apply.
    EXPECT_FALSE(spec->strip_prefix);
    EXPECT_FALSE(spec->balance || spec->health_path || spec->health_interval_ms ||
                 spec->timeout_ms || spec->connect_timeout_ms || spec->max_fails ||
                 spec->fail_timeout_ms || spec->tunnel_timeout_ms);
}

TEST(HttpProxySpec, PerPrefixOptions) {
    auto spec = parse_proxy_spec(
        "/v1/users=a:80,b:80;strip;balance=least_conn;health=/healthz;health_interval_ms=250;"
        "timeout_ms=1500;connect_timeout_ms=0x3e8;max_fails=3;fail_timeout_ms=20000;"
        "tunnel_timeout_ms=0");
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->prefix, "/v1/users");
    EXPECT_EQ(spec->upstream_count, 2u);
    EXPECT_TRUE(spec->strip_prefix);
    EXPECT_EQ(spec->balance, Balance::LeastConnections);
    EXPECT_EQ(spec->health_path, "/healthz");
    EXPECT_EQ(spec->health_interval_ms, 250u);
    EXPECT_EQ(spec->timeout_ms, 1500u);
    EXPECT_EQ(spec->connect_timeout_ms, 1000u);
    EXPECT_EQ(spec->max_fails, 3u);
    EXPECT_EQ(spec->fail_timeout_ms, 20000u);
    EXPECT_EQ(spec->tunnel_timeout_ms, 0u);  // tunnels under this prefix never time out

    auto off = parse_proxy_spec("/a=h:1;health=off;balance=round_robin");
    ASSERT_TRUE(off);
    ASSERT_TRUE(off->health_path);
    EXPECT_TRUE(off->health_path->empty());  // no active checks here, whatever is shared
    EXPECT_EQ(off->balance, Balance::RoundRobin);
}

TEST(HttpProxySpec, Refused) {
    for (std::string_view bad : {"",
                                 "/api",
                                 "api=h:80",
                                 "/=h:80",
                                 "/api/=h:80",
                                 "/a*=h:80",
                                 "/a?b=h:80",
                                 "/api=",
                                 "/api=h",
                                 "/api=h:0",
                                 "/api=h:65536",
                                 "/api=:80",
                                 "/api=fd00::1:80",
                                 "/api=h:80,",
                                 "/api=h:80;",
                                 "/api=h:80;bogus",
                                 "/api=h:80;strip=yes",
                                 "/api=h:80;balance=random",
                                 "/api=h:80;health=healthz",
                                 "/api=h:80;health=/",
                                 "/api=h:80;timeout_ms=",
                                 "/api=h:80;timeout_ms=10s",
                                 "/api=h:80;max_fails=4294967296",
                                 "/api=h:80;fail_timeout_ms=99999999999999999999"}) {
        auto spec = parse_proxy_spec(bad);
        ASSERT_FALSE(spec) << bad;
        EXPECT_EQ(spec.error(), Error::InvalidArgument) << bad;
    }
    std::string nine = "/api=h:1";
    for (int i = 2; i <= 9; ++i) nine += ",h:" + std::to_string(i);
    auto spec = parse_proxy_spec(nine);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error(), Error::LimitReached);
    EXPECT_TRUE(parse_proxy_spec(nine.substr(0, nine.rfind(','))));  // eight is the most
}

std::string target_for(std::string_view target, bool strip) {
    bool slash = false;
    std::string_view rest = upstream_target(target, "/api", strip, slash);
    return (slash ? "/" : "") + std::string(rest);
}

TEST(HttpProxySpec, UpstreamTarget) {
    EXPECT_EQ(target_for("/api/users/7?x=1", false), "/api/users/7?x=1");
    EXPECT_EQ(target_for("/api", false), "/api");
    EXPECT_EQ(target_for("/api/users/7?x=1", true), "/users/7?x=1");
    EXPECT_EQ(target_for("/api/", true), "/");
    EXPECT_EQ(target_for("/api", true), "/");
    EXPECT_EQ(target_for("/api?x=1", true), "/?x=1");
    // The target is returned as a view into the request's, not copied, when it can be.
    std::string_view target = "/api/users";
    bool slash = true;
    EXPECT_EQ(upstream_target(target, "/api", true, slash).data(), target.data() + 4);
    EXPECT_FALSE(slash);
}

std::string location_for(std::string_view location, bool strip,
                         std::string_view client_host = "proxy.test") {
    LocationContext context{.prefix = "/api",
                            .strip = strip,
                            .upstream_host = "10.0.0.5",
                            .upstream_port = 8080,
                            .client_host = client_host};
    std::string buffer(client_location_capacity(location, context), '\0');
    std::string_view result = client_location(location, context, buffer.data());
    EXPECT_LE(result.size(), buffer.size());
    return std::string(result);
}

TEST(HttpProxySpec, LocationOfTheUpstreamsOwnOriginBecomesAPathOnTheProxy) {
    EXPECT_EQ(location_for("http://10.0.0.5:8080/users/7?x=1", false), "/users/7?x=1");
    EXPECT_EQ(location_for("http://10.0.0.5:8080/users/7?x=1", true), "/api/users/7?x=1");
    EXPECT_EQ(location_for("HTTP://10.0.0.5:8080", true), "/api/");
    EXPECT_EQ(location_for("http://10.0.0.5:8080?next=1", false), "/?next=1");
    // Another port, another host, or https: not the origin the proxy reaches.
    EXPECT_EQ(location_for("http://10.0.0.5/users", false), "http://10.0.0.5/users");
    EXPECT_EQ(location_for("http://10.0.0.6:8080/users", true), "http://10.0.0.6:8080/users");
    EXPECT_EQ(location_for("https://10.0.0.5:8080/users", false), "https://10.0.0.5:8080/users");
}

TEST(HttpProxySpec, LocationUnderAStrippedPrefix) {
    EXPECT_EQ(location_for("/login?next=/", true), "/api/login?next=/");
    EXPECT_EQ(location_for("/login?next=http://proxy.test/x", true),
              "/api/login?next=http://proxy.test/x");
    EXPECT_EQ(location_for("/", true), "/api/");
    EXPECT_EQ(location_for("/login", false), "/login");
    // The client's own Host, as an upstream building URLs from the forwarded Host writes them.
    EXPECT_EQ(location_for("http://proxy.test/login", true), "http://proxy.test/api/login");
    EXPECT_EQ(location_for("https://Proxy.Test", true), "https://Proxy.Test/api/");
    EXPECT_EQ(location_for("http://proxy.test/login", false), "http://proxy.test/login");
    EXPECT_EQ(location_for("http://proxy.test/login", true, ""), "http://proxy.test/login");
    // The Host names no port: the Location's scheme's own.
    EXPECT_EQ(location_for("http://proxy.test:80/x", true), "http://proxy.test:80/api/x");
    EXPECT_EQ(location_for("https://proxy.test:443/x", true), "https://proxy.test:443/api/x");
    EXPECT_EQ(location_for("http://proxy.test:8080/x", true), "http://proxy.test:8080/x");
    EXPECT_EQ(location_for("http://proxy.test:8080/x", true, "proxy.test:8080"),
              "http://proxy.test:8080/api/x");
}

TEST(HttpProxySpec, LocationsLeftAsTheyAre) {
    for (const char* location : {"login", "../up", "?page=2", "#top", "//cdn.example/x.js",
                                 "https://example.org/", "mailto:someone@example.org", ""}) {
        EXPECT_EQ(location_for(location, true), location);
        EXPECT_EQ(location_for(location, false), location);
    }
}

TEST(HttpProxySpec, LocationOfAnIpv6Upstream) {
    LocationContext context{.prefix = "/v6",
                            .strip = true,
                            .upstream_host = "fd00::5",
                            .upstream_port = 80,
                            .client_host = {}};
    std::string_view location = "http://[FD00::5]/x";
    std::string buffer(client_location_capacity(location, context), '\0');
    EXPECT_EQ(client_location(location, context, buffer.data()), "/v6/x");
    location = "http://[fd00::5]:80/x";
    EXPECT_EQ(client_location(location, context, buffer.data()), "/v6/x");
}

}  // namespace
}  // namespace coronet::http
