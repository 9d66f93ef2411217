// The default appliance image and its composition root: the one place that reads the boot
// options (into option structs for the stack and each app), brings up the network stack and
// the apps, then runs the reactor loop.
#include <new>

#include "apps/appliance/status.hpp"
#include "apps/appliance/web.hpp"
#include "apps/echo/echo.hpp"
#include "apps/http/proxy.hpp"
#include "apps/http/server.hpp"
#include "apps/iperf3/server.hpp"
#include "apps/redis/server.hpp"
#include "apps/websocket/endpoint.hpp"
#include "kernel/app.hpp"
#include "kernel/boot_config.hpp"
#include "kernel/log.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/time_units.hpp"
#include "net/lwip/stack.hpp"
#include "net/stack_config.hpp"

namespace coronet {
namespace {

// A count, or `fallback` when absent. `deprecated` is an older name still honoured, with a warning.
size_t count_option(const BootConfig& config, std::string_view key, size_t fallback,
                    std::string_view deprecated = {}) {
    if (auto value = config.get_number(key)) return *value;
    if (!deprecated.empty()) {
        if (auto value = config.get_number(deprecated)) {
            LOG_WARN("boot: %.*s is deprecated; use %.*s", static_cast<int>(deprecated.size()),
                     deprecated.data(), static_cast<int>(key.size()), key.data());
            return *value;
        }
    }
    if (config.has(key))
        LOG_WARN("boot: %.*s wants a number; default used", static_cast<int>(key.size()),
                 key.data());
    return fallback;
}

uint64_t duration_ms_option(const BootConfig& config, std::string_view key, uint64_t fallback_ns) {
    auto value = config.get_number(key);
    if (!value && config.has(key))
        LOG_WARN("boot: %.*s wants a number of milliseconds; default used",
                 static_cast<int>(key.size()), key.data());
    return value ? ms_to_ns(*value) : fallback_ns;
}

// What one connection is budgeted when the limits are derived from memory: an idle one costs
// about a page of stack plus its state and lwIP's control block (README, "Memory"); the rest
// is room for the buffers and send queues of those that are busy.
constexpr uint64_t kConnectionBudget = 8 * 1024;
constexpr size_t kFewestConnections = 64;
// Below this much RAM the network device's rings and buffers (about 2.5 MiB) do not fit next
// to the image: the appliance still boots, and says what it needs (README, "Memory").
constexpr uint64_t kLeastServingRam = 4ULL << 20;

// The default connection limit of each server: the memory free once the stack is up, less the
// reserve kept for accepted work, divided by the budget.
size_t connection_limit_for_memory() {
    uint64_t free = memory::free_bytes(), reserve = memory::reserve_bytes();
    uint64_t limit = free > reserve ? (free - reserve) / kConnectionBudget : 0;
    return limit < kFewestConnections ? kFewestConnections : static_cast<size_t>(limit);
}

apps::EchoOptions echo_options(const BootConfig& config) {
    apps::EchoOptions options;
    options.keepalive = net::read_keepalive(config, "echo.keepalive");
    options.max_connections = count_option(config, "echo.max_connections",
                                           connection_limit_for_memory(), "echo_max_connections");
    return options;
}

// iperf3.port=0 leaves the iperf3 server off.
iperf3::ServerOptions iperf3_options(const BootConfig& config) {
    iperf3::ServerOptions options;
    size_t port = count_option(config, "iperf3.port", options.port);
    if (port > UINT16_MAX) LOG_WARN("boot: iperf3.port wants 0 to 65535; %u used", options.port);
    else options.port = static_cast<uint16_t>(port);
    options.idle_timeout_ns =
        duration_ms_option(config, "iperf3.idle_timeout_ms", options.idle_timeout_ns);
    return options;
}

// The iperf3 server, or nullptr when it is off or could not start.
iperf3::Server* start_iperf3(const iperf3::ServerOptions& options) {
    if (options.port == 0) {
        LOG_INFO("iperf3: off (iperf3.port=0)");
        return nullptr;
    }
    auto* server = new (std::nothrow) iperf3::Server(options);
    if (!server) {
        LOG_ERROR("iperf3: no memory for the server");
        return nullptr;
    }
    if (auto started = server->start(); !started) {
        LOG_ERROR("iperf3: cannot listen: %s", error_name(started.error()));
        return nullptr;  // its listener may be half made: /status does not report it
    }
    return server;
}

http::ServerOptions web_options(const BootConfig& config) {
    http::ServerOptions options;
    options.keepalive = net::read_keepalive(config, "http.keepalive");
    options.max_connections =
        count_option(config, "http.max_connections", connection_limit_for_memory());
    options.limits.body_bytes = count_option(config, "http.max_body", options.limits.body_bytes);
    options.header_timeout_ns =
        duration_ms_option(config, "http.header_timeout_ms", options.header_timeout_ns);
    options.body_timeout_ns =
        duration_ms_option(config, "http.body_timeout_ms", options.body_timeout_ns);
    options.idle_timeout_ns =
        duration_ms_option(config, "http.idle_timeout_ms", options.idle_timeout_ns);
    return options;
}

// WebSocket messages: the 16 MiB default, or a quarter of RAM on a smaller guest (one message
// may be held received, inflated and compressed at once); zlib state for Windowed compression:
// a sixteenth of RAM at most.
constexpr uint64_t kWebSocketMessageDivisor = 4;
constexpr uint64_t kCompressionBudgetDivisor = 16;

websocket::EndpointOptions websocket_options(const BootConfig& config) {
    websocket::EndpointOptions options;
    uint64_t ram = memory::stats().ram_bytes;
    if (ram / kWebSocketMessageDivisor < options.max_message)
        options.max_message = ram / kWebSocketMessageDivisor;
    if (ram / kCompressionBudgetDivisor < options.compression_budget)
        options.compression_budget = ram / kCompressionBudgetDivisor;
    options.max_message = count_option(config, "ws.max_message", options.max_message);
    options.idle_timeout_ns =
        duration_ms_option(config, "ws.idle_timeout_ms", options.idle_timeout_ns);
    options.send_queue_bytes =
        count_option(config, "ws.send_queue_bytes", options.send_queue_bytes);
    options.compression_budget =
        count_option(config, "ws.compression_budget", options.compression_budget);
    websocket::DeflateChoice& deflate = options.handshake.deflate;
    deflate.policy = websocket::DeflatePolicy::Windowed;
    if (auto policy = config.get("ws.deflate")) {
        if (*policy == "off") deflate.policy = websocket::DeflatePolicy::Off;
        else if (*policy == "stateless") deflate.policy = websocket::DeflatePolicy::Stateless;
        else if (*policy != "windowed")
            LOG_WARN("boot: ws.deflate wants off, stateless or windowed; windowed used");
    }
    size_t bits = count_option(config, "ws.window_bits", deflate.window_bits);
    if (bits < 9 || bits > websocket::kMaxWindowBits)
        LOG_WARN("boot: ws.window_bits wants 9 to 15; %u used", deflate.window_bits);
    else deflate.window_bits = static_cast<uint8_t>(bits);
    if (auto slow = config.get("ws.slow_consumers")) {
        if (*slow == "close") options.slow_consumers = websocket::SlowConsumerPolicy::Close;
        else if (*slow != "drop")
            LOG_WARN("boot: ws.slow_consumers wants drop or close; drop used");
    }
    return options;
}

// Redis's proto-max-bulk-len: its 512 MB default, or a quarter of RAM on a smaller guest (a value
// that could never be stored is refused while it is still being declared).
uint64_t bulk_limit_for_memory() {
    uint64_t quarter = memory::stats().ram_bytes / 4;
    return quarter < redis::kMaxBulkLengthCeiling ? quarter : redis::kMaxBulkLengthCeiling;
}

// maxmemory's default: half the RAM, the rest left to connections, buffers and the other apps.
constexpr uint64_t kRedisMemoryShareDivisor = 2;
// A subscriber's unsent messages past this (or RAM / 16 on a small guest) disconnect it.
constexpr uint64_t kPubSubOutputLimit = 32ULL << 20;

redis::ServerOptions redis_options(const BootConfig& config) {
    redis::ServerOptions options;
    options.keepalive = net::read_keepalive(config, "redis.keepalive");
    redis::EngineOptions& engine = options.engine;
    uint64_t ram = memory::stats().ram_bytes;
    engine.max_memory = ram / kRedisMemoryShareDivisor;
    if (auto text = config.get("redis.maxmemory")) {
        if (!redis::parse_memory_size(*text, engine.max_memory))
            LOG_WARN("boot: redis.maxmemory wants a size (100mb, 1gb, bytes); default used");
    }
    if (auto text = config.get("redis.maxmemory-policy")) {
        if (!redis::parse_policy(*text, engine.policy))
            LOG_WARN("boot: redis.maxmemory-policy %.*s is not a policy; noeviction used",
                     static_cast<int>(text->size()), text->data());
    }
    engine.pubsub_output_limit = ram / 16 < kPubSubOutputLimit ? ram / 16 : kPubSubOutputLimit;
    engine.max_clients = count_option(config, "redis.maxclients", connection_limit_for_memory());
    engine.max_bulk_length =
        count_option(config, "redis.proto-max-bulk-len", bulk_limit_for_memory());
    // A client's unparsed input may hold one maximal value and its command around it.
    engine.max_query_buffer =
        count_option(config, "redis.client-query-buffer-limit", engine.max_bulk_length + 64 * 1024);
    return options;
}

// The reverse proxy (http.proxy=PREFIX=HOST:PORT[,...], repeatable) and the options all its
// prefixes share. Each prefix is its own proxy with its own upstreams.
size_t proxy_options(const BootConfig& config, http::ProxyOptions (&proxies)[http::kMaxProxies]) {
    http::ProxyOptions shared;
    std::string_view balance = config.get_or("http.proxy_balance", "round_robin");
    if (balance == "least_conn") shared.balance = http::Balance::LeastConnections;
    else if (balance != "round_robin")
        LOG_WARN("boot: http.proxy_balance wants round_robin or least_conn; round_robin used");
    shared.health_path = config.get_or("http.proxy_health", "");
    if (!shared.health_path.empty() && shared.health_path.front() != '/') {
        LOG_WARN("boot: http.proxy_health wants a path starting with /; no health checks");
        shared.health_path = {};
    }
    shared.health_interval_ns =
        duration_ms_option(config, "http.proxy_health_interval_ms", shared.health_interval_ns);
    shared.max_fails = static_cast<uint32_t>(count_option(config, "http.proxy_max_fails", 1));
    shared.fail_timeout_ns =
        duration_ms_option(config, "http.proxy_fail_timeout_ms", shared.fail_timeout_ns);
    shared.tunnel_timeout_ns =
        duration_ms_option(config, "http.proxy_tunnel_timeout_ms", shared.tunnel_timeout_ns);
    http::ClientTimeouts& timeouts = shared.pool.timeouts;
    timeouts.connect_ns =
        duration_ms_option(config, "http.proxy_connect_timeout_ms", timeouts.connect_ns);
    timeouts.first_byte_ns =
        duration_ms_option(config, "http.proxy_timeout_ms", timeouts.first_byte_ns);
    timeouts.body_ns = duration_ms_option(config, "http.proxy_timeout_ms", timeouts.body_ns);
    shared.pool.max_connections =
        count_option(config, "http.proxy_max_connections", shared.pool.max_connections);
    shared.pool.max_idle = count_option(config, "http.proxy_max_idle", shared.pool.max_idle);
    size_t count = 0;
    for (size_t i = 0;; ++i) {
        auto spec = config.get_nth("http.proxy", i);
        if (!spec) break;
        if (count == http::kMaxProxies) {
            LOG_WARN("boot: more than %zu http.proxy options; the rest are ignored",
                     http::kMaxProxies);
            break;
        }
        auto parsed = http::parse_proxy_spec(*spec);
        if (!parsed) {
            LOG_ERROR(
                "boot: bad http.proxy=%.*s (want /PREFIX=HOST:PORT[,HOST:PORT...][;OPTION...]"
                "): %s",
                static_cast<int>(spec->size()), spec->data(), error_name(parsed.error()));
            continue;
        }
        proxies[count++] = http::proxy_options(*parsed, shared);
    }
    return count;
}

}  // namespace

int app_main(const BootInfo& info) {
    const BootConfig& config = boot_config();
    if (uint64_t ram = memory::stats().ram_bytes; ram < kLeastServingRam)
        LOG_WARN("memory: %llu KiB of RAM; the appliance needs at least %llu KiB to serve",
                 static_cast<unsigned long long>(ram >> 10),
                 static_cast<unsigned long long>(kLeastServingRam >> 10));
    net::start_stack(info, net::read_stack_options(config));
    LOG_INFO("net: lwIP %s up", net::stack_version());
    if (auto echo = apps::start_echo(echo_options(config)); !echo)
        LOG_ERROR("echo: cannot listen: %s", error_name(echo.error()));
    auto* redis = new (std::nothrow) redis::Server(redis_options(config));
    if (!redis) {
        LOG_ERROR("redis: no memory for the server");
    } else if (auto started = redis->start(); !started) {
        LOG_ERROR("redis: cannot start: %s", error_name(started.error()));
        redis = nullptr;  // its listener may be half made: /status does not report it
    }
    iperf3::Server* iperf3 = start_iperf3(iperf3_options(config));
    http::ProxyOptions proxies[http::kMaxProxies];
    size_t proxy_count = proxy_options(config, proxies);
    if (auto web = apps::start_web(web_options(config), websocket_options(config), redis, iperf3,
                                   {proxies, proxy_count});
        !web)
        LOG_ERROR("http: cannot start: %s", error_name(web.error()));
    // Spawned last, it runs once every listener has taken its first turn.
    if (!sched::spawn([](void*) { apps::mark_memory_baseline(); }, nullptr,
                      {.name = "baseline", .detached = true}))
        LOG_WARN(
            "status: no memory for the baseline; per-connection figures include the listeners");
    sched::run_forever();
}

}  // namespace coronet
