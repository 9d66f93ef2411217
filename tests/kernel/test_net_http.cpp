// The HTTP client against nginx and a Python upstream on the host side of the tap
// (tools/client_test.py): small and large bodies checked by SHA-256, keep-alive reuse (nginx's
// own log is checked afterwards too), chunked responses and request bodies (from nginx's gzip,
// and decoded by nginx), a 404 as a value, each phase's timeout (connect, write, first byte,
// body), idle connections expiring, a request sent again when the server closed its pooled
// connection, the pool's connection limit under concurrency, three calls fanned out under one
// deadline taking as long as the slowest, and the README's handler reading Redis and nginx.
#include <mbedtls/sha256.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/http/client.hpp"
#include "apps/http/router.hpp"
#include "apps/http/server.hpp"
#include "apps/redis/client_pool.hpp"
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

constexpr size_t kUploadBytes = 1 << 20;
constexpr size_t kUploadChunk = 100'000;
char g_upload[kUploadBytes];

std::string_view upload_body() {
    static bool filled = false;
    for (size_t i = 0; !filled && i < kUploadBytes; ++i)
        g_upload[i] = static_cast<char>(i * 7 + (i >> 12));
    filled = true;
    return {g_upload, kUploadBytes};
}

void to_hex(const unsigned char (&digest)[32], char (&out)[65]) {
    for (int i = 0; i < 32; ++i) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

void hex_sha256(std::string_view data, char (&out)[65]) {
    unsigned char digest[32];
    mbedtls_sha256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, 0);
    to_hex(digest, out);
}

// zlib is built with Z_SOLO: no allocator of its own.
voidpf zlib_alloc(voidpf, uInt items, uInt size) { return calloc(items, size); }
void zlib_free(voidpf, voidpf address) { free(address); }

// Inflates a gzip stream, hashing what comes out; false unless it is one whole gzip member.
bool gunzip_sha256(std::string_view gzip, char (&sha)[65], size_t& length) {
    z_stream stream{};
    stream.zalloc = zlib_alloc;
    stream.zfree = zlib_free;
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return false;  // 16+: gzip's framing
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
    stream.avail_in = static_cast<uInt>(gzip.size());
    mbedtls_sha256_context hash;
    mbedtls_sha256_init(&hash);
    mbedtls_sha256_starts(&hash, 0);
    static unsigned char piece[16 * 1024];
    int status = Z_OK;
    for (length = 0; status == Z_OK;) {
        stream.next_out = piece;
        stream.avail_out = sizeof piece;
        status = inflate(&stream, Z_NO_FLUSH);
        size_t n = sizeof piece - stream.avail_out;
        mbedtls_sha256_update(&hash, piece, n);
        length += n;
    }
    bool whole = status == Z_STREAM_END && stream.avail_in == 0;
    inflateEnd(&stream);
    unsigned char digest[32];
    mbedtls_sha256_finish(&hash, digest);
    mbedtls_sha256_free(&hash);
    to_hex(digest, sha);
    return whole;
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

// Streams `body` up with chunked framing through a connection of `pool`; true when the answer
// is 200 and names the body's SHA-256 (as the Python upstream's /upload does).
bool chunked_upload(ConnectionPool& pool, std::string_view target, std::string_view body,
                    sched::Deadline deadline) {
    char sha[65];
    hex_sha256(body, sha);
    auto acquired = pool.acquire(deadline);
    if (!acquired) return false;
    http::PooledConnection connection(pool, *acquired);
    bool ok = connection->begin_request("POST", target, pool.options().host).ok() &&
              connection->end_head({http::BodyFraming::Chunked, 0}).ok();
    for (size_t at = 0; ok && at < body.size(); at += kUploadChunk)
        ok = connection->write_body(body.substr(at, kUploadChunk)).ok();
    ok = ok && connection->end_request().ok();
    auto head = ok ? connection->read_head(http::Method::Post, deadline)
                   : Result<const http::ResponseHead*>(Error::Closed);
    if (!head || (*head)->status != 200) return false;
    char answer[256];
    size_t length = 0;
    auto piece = connection->read_body(deadline);
    for (; piece && !piece->empty(); piece = connection->read_body(deadline)) {
        size_t n = piece->size() < sizeof answer - length ? piece->size() : sizeof answer - length;
        std::memcpy(answer + length, piece->data(), n);
        length += n;
    }
    return piece && std::string_view(answer, length).find(sha) != std::string_view::npos;
}

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

// Chunked both ways with nginx: it decodes our chunked upload (passed on to the Python
// upstream, which answers with the SHA-256 of what it got), and sends a file gzip-compressed,
// chunked (its length unknown in advance), which must inflate to the file's bytes.
void nginx_chunked(ConnectionPool& nginx) {
    sched::Deadline deadline = sched::now() + 60 * kSecond;
    bool uploaded = chunked_upload(nginx, "/python/upload", upload_body(), deadline);
    printf("ktest: 1 MiB chunked up through nginx: %s\n", uploaded ? "SHA-256 matches" : "failed");
    KCHECK(uploaded);

    http::Header accept{"Accept-Encoding", "gzip"};
    auto gzipped = http::fetch(
        nginx, {.target = "/gzip/text.txt", .headers = &accept, .header_count = 1}, deadline);
    KCHECK(gzipped && gzipped->status() == 200);
    if (!gzipped) return;
    KCHECK(gzipped->head().framing == http::BodyFraming::Chunked);
    KCHECK(gzipped->header("Content-Encoding") == "gzip");
    char sha[65];
    size_t length = 0;
    bool whole = gunzip_sha256(gzipped->body(), sha, length);
    printf("ktest: GET /gzip/text.txt: %zu bytes of gzip, chunked: %zu inflated, sha256 %s\n",
           gzipped->body().size(), length, sha);
    KCHECK(whole && boot_config().get_or("http.gzip_sha256", "") == std::string_view(sha));
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
    std::string_view upload = upload_body();
    char sha[65];
    hex_sha256(upload, sha);
    auto posted = http::fetch(
        python, {.method = http::Method::Post, .target = "/upload", .body = upload}, deadline);
    KCHECK(posted && posted->status() == 200 && posted->body().find(sha) != std::string_view::npos);

    // The same, streamed with chunked framing through the connection itself.
    KCHECK(chunked_upload(python, "/upload", upload, deadline));
}

// One request that must end in Timeout because the phase given 1 s ran out: the other phases
// keep their defaults of 5 s and more, so the time taken says which one fired.
struct TimeoutCase {
    const char* what;
    http::PoolOptions options;
    ClientRequest request;
};

void expect_timeout(const TimeoutCase& timeout) {
    ConnectionPool pool(timeout.options);
    uint64_t start = sched::now();
    auto response = http::fetch(pool, timeout.request, start + 60 * kSecond);
    uint64_t took = ms_since(start);
    printf("ktest: %s: %s after %llu ms\n", timeout.what,
           response ? "answered" : error_name(response.error()),
           static_cast<unsigned long long>(took));
    KCHECK(!response && response.error() == Error::Timeout);
    KCHECK(took >= 1000 && took < 5000);
    KCHECK(pool.stats().open == 0);  // the connection that failed is not kept
}

http::PoolOptions with_timeout(http::PoolOptions options, uint64_t http::ClientTimeouts::*phase) {
    options.timeouts.*phase = kSecond;
    return options;
}

// Connect, write, first byte and body, each its own request on its own connection, all four at
// once: about a second in all.
void phase_timeouts(ConnectionPool& python) {
    using http::ClientTimeouts;
    TimeoutCase cases[] = {
        {"connect to a blackhole (SYNs dropped)",
         with_timeout(pool_options("http.blackhole"), &ClientTimeouts::connect_ns),
         {}},
        {"1 MiB up to a server not reading",
         with_timeout(python.options(), &ClientTimeouts::write_ns),
         {.method = http::Method::Post, .target = "/unread?ms=5000", .body = upload_body()}},
        {"a response head 3 s late",
         with_timeout(python.options(), &ClientTimeouts::first_byte_ns),
         {.target = "/slow?ms=3000"}},
        {"a body stalled after 100 bytes",
         with_timeout(python.options(), &ClientTimeouts::body_ns),
         {.target = "/stall-body?ms=5000"}},
    };
    sched::WaitGroup group;
    for (const TimeoutCase& timeout : cases) {
        group.add();
        auto spawned = sched::spawn(
            [&timeout, &group] {
                expect_timeout(timeout);
                group.done();
            },
            {.name = "timeout-case", .stack_size = 32 * 1024, .detached = true});
        KCHECK(spawned.ok());
        if (!spawned) group.done();
    }
    KCHECK(group.wait(sched::now() + 60 * kSecond).ok());
}

bool fetched_ok(ConnectionPool& pool, const ClientRequest& request) {
    auto response = http::fetch(pool, request, sched::now() + 30 * kSecond);
    if (!response)
        printf("ktest: GET %.*s: %s\n", static_cast<int>(request.target.size()),
               request.target.data(), error_name(response.error()));
    return response && response->status() == 200;
}

// An idle connection is reused within the idle timeout and closed once it passes, though
// nothing asks the pool for a connection meanwhile: the request after that opens a new one.
void idle_expiry(ConnectionPool& python) {
    http::PoolOptions options = python.options();
    options.idle_timeout_ns = kSecond;
    ConnectionPool pool(options);
    KCHECK(fetched_ok(pool, {.target = "/whoami"}) && fetched_ok(pool, {.target = "/whoami"}));
    KCHECK(pool.stats().connects == 1 && pool.stats().reuses == 1 && pool.stats().idle == 1);
    sched::sleep_for(options.idle_timeout_ns + 500 * kMillisecond);
    http::PoolStats unused = pool.stats();
    printf("ktest: idle timeout of 1 s, 1.5 s unused: %llu open, %llu idle, %llu expired\n",
           static_cast<unsigned long long>(unused.open),
           static_cast<unsigned long long>(unused.idle),
           static_cast<unsigned long long>(unused.expired));
    KCHECK(unused.open == 0 && unused.idle == 0 && unused.expired == 1);
    KCHECK(fetched_ok(pool, {.target = "/whoami"}));
    http::PoolStats stats = pool.stats();
    KCHECK(stats.connects == 2 && stats.expired == 1 && stats.reuses == 1);
}

// A server that closes a pooled connection when the next request arrives on it (its keep-alive
// timeout ran out just then; /close-next makes the Python upstream do so): a GET is sent again
// on a new connection and succeeds; a POST is not (the server may have acted on it) and fails.
void stale_connection(ConnectionPool& python) {
    ConnectionPool pool(python.options());
    KCHECK(fetched_ok(pool, {.target = "/close-next"}));
    KCHECK(fetched_ok(pool, {.target = "/close-next"}));  // on the same connection, then a new one
    http::PoolStats stats = pool.stats();
    printf("ktest: a GET on a connection the server closed: %llu connections, %llu reuse\n",
           static_cast<unsigned long long>(stats.connects),
           static_cast<unsigned long long>(stats.reuses));
    KCHECK(stats.connects == 2 && stats.reuses == 1);

    auto posted =
        http::fetch(pool, {.method = http::Method::Post, .target = "/upload", .body = "once"},
                    sched::now() + 30 * kSecond);
    printf("ktest: a POST on such a connection: %s\n",
           posted ? "answered" : error_name(posted.error()));
    KCHECK(!posted && (posted.error() == Error::Closed || posted.error() == Error::Reset));
    KCHECK(pool.stats().connects == 2);  // not sent again
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

// From here to "End of the README's example": README.md's first code block word for word (keep
// the two alike). client_test.py names both hosts (host= entries), serves /price/42.json from
// nginx and runs redis-server.

// A handler that reads Redis and calls an HTTP service at once, and answers when both are back
// or a second has passed (kernel/sched/fan_out.hpp). The pools live as long as the app.
redis::ClientPool g_stock("cache.internal:6379");
http::ConnectionPool g_prices({.host = "prices.internal", .port = 8080});

Result<void> item_page(http::Exchange& exchange) {
    auto stock_of = [](sched::Deadline deadline) -> Result<int64_t> {  // Redis: GET stock:42
        auto cache = TRY(g_stock.acquire(deadline));
        return TRY(cache->command({"GET", "stock:42"}, deadline)).to_integer();
    };
    auto price_of = [](sched::Deadline deadline) {  // HTTP: the price service's JSON, whole
        return http::fetch(g_prices, {.target = "/price/42.json"}, deadline);
    };
    auto [stock, price] = TRY(sched::fan_out(sched::now() + kSecond, stock_of, price_of));
    if (!stock || !price || price->status() != 200) {  // each a Result: Timeout, Refused, ...
        exchange.response.set_status(502);
        return exchange.response.send("an upstream failed or was too slow\n");
    }
    char count[24];
    snprintf(count, sizeof count, "%lld", static_cast<long long>(*stock));
    exchange.response.add_header("X-Stock", count);
    return exchange.response.send(price->body(), "application/json");
}
// End of the README's example.

// The handler above served by the guest's own HTTP server and asked over loopback, once the
// stock count is in Redis: nginx's JSON as the body, Redis's count in a header.
void readme_handler() {
    constexpr uint16_t kOwnPort = 8080;
    sched::Deadline deadline = sched::now() + 30 * kSecond;
    {
        auto lease = g_stock.acquire(deadline);
        auto set = lease ? (*lease)->command({"SET", "stock:42", 7}, deadline)
                         : Result<redis::ReplyValue>(lease.error());
        KCHECK(set && set->is_ok());
    }
    static http::Router router;
    static http::Server server(router, {.port = kOwnPort, .max_connections = 16});
    bool started = router.add(http::Method::Get, "/item/42", item_page).ok() && server.start().ok();
    KCHECK(started);
    if (!started) return;
    ConnectionPool own({.host = "127.0.0.1", .port = kOwnPort});
    auto page = http::fetch(own, {.target = "/item/42"}, deadline);
    if (page)
        printf("ktest: the README's handler answered %u, X-Stock %.*s: %.*s",
               unsigned{page->status()}, static_cast<int>(page->header("X-Stock").size()),
               page->header("X-Stock").data(), static_cast<int>(page->body().size()),
               page->body().data());
    else printf("ktest: the README's handler: %s\n", error_name(page.error()));
    KCHECK(page && page->status() == 200 && page->header("X-Stock") == "7");
    KCHECK(page && page->body() == "{\"sku\": 42, \"cents\": 1999}\n");  // client_test.py's file
}

void http_body() {
    ConnectionPool nginx(pool_options("http.nginx"));
    ConnectionPool python(pool_options("http.python"));
    nginx_checks(nginx);
    nginx_chunked(nginx);
    python_checks(python);
    phase_timeouts(python);
    idle_expiry(python);
    stale_connection(python);
    pool_limit(python);
    fan_out_calls(nginx, python);
    readme_handler();
    http::ConnectionPool refused({.host = "10.77.0.1", .port = 9});
    auto nobody = http::fetch(refused, {}, sched::now() + 5 * kSecond);
    KCHECK(!nobody && nobody.error() == Error::Refused);
}

}  // namespace
}  // namespace coronet

KTEST(net_http, "HTTP client: nginx, a Python upstream, reuse, chunked, timeouts, fan-out") {
    coronet::ktest::run_with_network(coronet::http_body);
}
