// The HTTP client against nginx and a Python upstream on the host side of the tap
// (tools/client_test.py): small and large bodies checked by SHA-256, keep-alive reuse (nginx's
// own log is checked afterwards too), chunked responses and request bodies, a 404 as a value, a
// first-byte timeout, the pool's connection limit under concurrency, and three calls fanned out
// under one deadline taking as long as the slowest, not the sum.
#include <mbedtls/sha256.h>

#include <cstdio>
#include <cstring>

#include "apps/http/client.hpp"
#include "kernel/boot_config.hpp"
#include "kernel/sched/fan_out.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_group.hpp"
#include "lib/time_units.hpp"
#include "net/ip_address.hpp"
#include "tests/kernel/ktest.hpp"
#include "tests/kernel/net_fixture.hpp"

namespace coronet {
namespace {

using http::ClientRequest;
using http::ConnectionPool;

void hex_sha256(std::string_view data, char (&out)[65]) {
    unsigned char digest[32];
    mbedtls_sha256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, 0);
    for (int i = 0; i < 32; ++i) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

http::PoolOptions pool_options(std::string_view key) {
    http::PoolOptions options;
    auto text = boot_config().get(key);
    net::HostPort origin;
    bool ok = text && net::split_host_port(*text, origin);
    KCHECK(ok);
    if (ok) {
        options.host = origin.host;
        options.port = origin.port;
    }
    return options;
}

uint64_t ms_since(uint64_t start) { return (sched::now() - start) / kMillisecond; }

void nginx_checks(ConnectionPool& nginx) {
    const BootConfig& config = boot_config();
    sched::Deadline deadline = sched::now() + 60 * kSecond;
    // One small file, twenty times: one connection, reused.
    for (int i = 0; i < 20; ++i) {
        auto response = http::fetch(nginx, {.target = "/small.txt"}, deadline);
        KCHECK(response && response->status() == 200 && response->body() == "coronet\n");
        if (!response) {
            printf("ktest: GET /small.txt: %s\n", error_name(response.error()));
            return;
        }
    }
    http::PoolStats stats = nginx.stats();
    printf("ktest: 20 GETs: %llu connection(s) opened, %llu reuses\n",
           static_cast<unsigned long long>(stats.connects),
           static_cast<unsigned long long>(stats.reuses));
    KCHECK(stats.connects == 1 && stats.reuses == 19);

    auto missing = http::fetch(nginx, {.target = "/missing"}, deadline);
    KCHECK(missing && missing->status() == 404);  // a status, not an error

    uint64_t start = sched::now();
    auto big = http::fetch(nginx, {.target = "/big.bin", .max_body = 64ULL << 20}, deadline);
    KCHECK(big && big->status() == 200);
    if (big) {
        char sha[65];
        hex_sha256(big->body(), sha);
        printf("ktest: GET /big.bin: %zu bytes in %llu ms, sha256 %s\n", big->body().size(),
               static_cast<unsigned long long>(ms_since(start)), sha);
        KCHECK(config.get_or("http.big_sha256", "") == std::string_view(sha));
    }
    auto too_big = http::fetch(nginx, {.target = "/big.bin", .max_body = 1 << 20}, deadline);
    KCHECK(!too_big && too_big.error() == Error::LimitReached);
}

void python_checks(ConnectionPool& python) {
    sched::Deadline deadline = sched::now() + 60 * kSecond;
    auto chunked = http::fetch(python, {.target = "/chunked"}, deadline);
    KCHECK(chunked && chunked->status() == 200 &&
           chunked->head().framing == http::BodyFraming::Chunked);
    if (chunked) {
        char sha[65];
        hex_sha256(chunked->body(), sha);
        KCHECK(boot_config().get_or("http.chunked_sha256", "") == std::string_view(sha));
    }

    // A 1 MiB body up; the upstream answers with its SHA-256.
    static char upload[1 << 20];
    for (size_t i = 0; i < sizeof upload; ++i) upload[i] = static_cast<char>(i * 7 + (i >> 12));
    char sha[65];
    hex_sha256({upload, sizeof upload}, sha);
    auto posted = http::fetch(
        python,
        {.method = http::Method::Post, .target = "/upload", .body = {upload, sizeof upload}},
        deadline);
    KCHECK(posted && posted->status() == 200 && posted->body().find(sha) != std::string_view::npos);

    // The same, streamed with chunked framing through the connection itself.
    auto acquired = python.acquire(deadline);
    KCHECK(acquired.ok());
    if (acquired) {
        http::PooledConnection connection(python, *acquired);
        bool ok = connection->begin_request("POST", "/upload", "python").ok() &&
                  connection->end_head({http::BodyFraming::Chunked, 0}).ok();
        for (size_t at = 0; ok && at < sizeof upload; at += 100'000) {
            size_t n = sizeof upload - at < 100'000 ? sizeof upload - at : 100'000;
            ok = connection->write_body({upload + at, n}).ok();
        }
        ok = ok && connection->end_request().ok();
        auto head = ok ? connection->read_head(http::Method::Post, deadline)
                       : Result<const http::ResponseHead*>(Error::Closed);
        KCHECK(head && (*head)->status == 200);
        auto piece =
            head ? connection->read_body(deadline) : Result<std::string_view>(Error::Closed);
        KCHECK(piece && piece->find(sha) != std::string_view::npos);
        while (piece && !piece->empty()) piece = connection->read_body(deadline);
    }

    // A first byte later than the pool allows: Timeout, at that time.
    http::PoolOptions hurried = python.options();
    hurried.timeouts.first_byte_ns = kSecond;
    ConnectionPool impatient(hurried);
    uint64_t start = sched::now();
    auto late = http::fetch(impatient, {.target = "/slow?ms=3000"}, deadline);
    printf("ktest: slow upstream: %s after %llu ms\n", late ? "answered" : error_name(late.error()),
           static_cast<unsigned long long>(ms_since(start)));
    KCHECK(!late && late.error() == Error::Timeout);
    KCHECK(ms_since(start) >= 1000 && ms_since(start) < 2500);
}

// Sixteen requests at once through a pool of at most four connections.
void pool_limit(ConnectionPool& base) {
    http::PoolOptions limited = base.options();
    limited.max_connections = 4;
    ConnectionPool pool(limited);
    sched::WaitGroup group;
    size_t ok = 0;
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    for (int i = 0; i < 16; ++i) {
        group.add();
        auto spawned = sched::spawn(
            [&] {
                auto response = http::fetch(pool, {.target = "/slow?ms=200"}, deadline);
                if (response && response->status() == 200) ++ok;
                group.done();
            },
            {.name = "fetcher", .stack_size = 32 * 1024, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) group.done();
    }
    KCHECK(group.wait(deadline).ok());
    printf("ktest: 16 requests through a pool of 4: %zu ok, %llu connections opened\n", ok,
           static_cast<unsigned long long>(pool.stats().connects));
    KCHECK(ok == 16 && pool.stats().connects <= 4);
}

// Three upstream calls at once under one deadline: as long as the slowest.
void fan_out_calls(ConnectionPool& nginx, ConnectionPool& python) {
    uint64_t start = sched::now();
    auto status_of = [](ConnectionPool& pool, std::string_view target) {
        return [&pool, target](sched::Deadline deadline) -> Result<uint16_t> {
            auto response = TRY(http::fetch(pool, {.target = target}, deadline));
            return response.status();
        };
    };
    auto results =
        sched::fan_out(start + 5 * kSecond, status_of(nginx, "/small.txt"),
                       status_of(python, "/slow?ms=400"), status_of(python, "/slow?ms=300"));
    KCHECK(results.ok());
    if (!results) return;
    auto& [a, b, c] = *results;
    uint64_t took = ms_since(start);
    printf("ktest: fan-out of 3 calls (0, 400 and 300 ms): %llu ms\n",
           static_cast<unsigned long long>(took));
    KCHECK(a && *a == 200 && b && *b == 200 && c && *c == 200);
    KCHECK(took >= 400 && took < 700);  // one after another would take 700 ms at least
}

void http_body() {
    ConnectionPool nginx(pool_options("http.nginx"));
    ConnectionPool python(pool_options("http.python"));
    nginx_checks(nginx);
    python_checks(python);
    pool_limit(python);
    fan_out_calls(nginx, python);
    http::ConnectionPool refused({.host = "10.77.0.1", .port = 9});
    auto nobody = http::fetch(refused, {}, sched::now() + 5 * kSecond);
    KCHECK(!nobody && nobody.error() == Error::Refused);
}

}  // namespace
}  // namespace coronet

KTEST(net_http, "HTTP client: nginx, a Python upstream, reuse, chunked, timeouts, fan-out") {
    coronet::ktest::run_with_network(coronet::http_body);
}
