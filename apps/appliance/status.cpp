// Status document: uptime, HTTP, Redis and iperf3 counters, scheduler, memory and per-device
// network counters.
#include "apps/appliance/status.hpp"

#include <initializer_list>

#include "drivers/net_device.hpp"
#include "kernel/board.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/memory/stack_space.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/uptime.hpp"
#include "kernel/version.hpp"
#include "kernel/wall_clock.hpp"
#include "lib/align.hpp"
#include "lib/json_writer.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"
#include "net/lwip/interface.hpp"
#include "net/lwip/retransmit.hpp"
#include "net/lwip/stack.hpp"
#include "net/resolver.hpp"
#include "net/tcp.hpp"
#include "net/time_sync.hpp"

namespace coronet::apps {
namespace {

// A member and its value. FIELD names it after the field it shows, so that a key and its field
// cannot drift apart; the status document's keys are the stats structs' own field names.
struct Member {
    std::string_view name;
    uint64_t value;
};
#define FIELD(stats, field) (Member{#field, (stats).field})

// Heap in use and stack pages mapped once the apps were up (mark_memory_baseline): what the
// listeners and services hold, not the connections.
uint64_t g_heap_at_start = 0;
uint64_t g_stack_pages_at_start = 0;

void members(JsonWriter& json, std::initializer_list<Member> list) {
    for (const Member& m : list) json.member(m.name, m.value);
}

void object(JsonWriter& json, std::string_view key, std::initializer_list<Member> list) {
    json.key(key).begin_object();
    members(json, list);
    json.end_object();
}

void pool(JsonWriter& json, std::string_view name, const net::PoolStats& p) {
    object(json, name, {FIELD(p, used), FIELD(p, size), FIELD(p, peak), FIELD(p, exhausted)});
}

// The WebSocket endpoints' counters, summed: what the dashboard's WebSocket card shows.
void websocket_section(JsonWriter& json, const StatusSources& sources) {
    websocket::EndpointStats total{};
    for (size_t i = 0; i < sources.websocket_count; ++i) {
        websocket::EndpointStats s = sources.websocket[i]->stats();
        total.open += s.open;
        total.total += s.total;
        total.refused += s.refused;
        total.messages_in += s.messages_in;
        total.messages_out += s.messages_out;
        total.bytes_in += s.bytes_in;
        total.bytes_out += s.bytes_out;
        total.compressed_in_wire += s.compressed_in_wire;
        total.compressed_in_plain += s.compressed_in_plain;
        total.compressed_out_wire += s.compressed_out_wire;
        total.compressed_out_plain += s.compressed_out_plain;
        total.pushed += s.pushed;
        total.back_pressured += s.back_pressured;
        total.dropped += s.dropped;
        total.pings_sent += s.pings_sent;
        total.compression_bytes += s.compression_bytes;
        total.compression_peak += s.compression_peak;
        for (size_t k = 0; k < static_cast<size_t>(websocket::CloseKind::Count); ++k)
            total.closes[k] += s.closes[k];
    }
    json.key("websocket").begin_object();
    members(json, {
                      FIELD(total, open),
                      FIELD(total, total),
                      FIELD(total, refused),
                      FIELD(total, messages_in),
                      FIELD(total, messages_out),
                      FIELD(total, bytes_in),
                      FIELD(total, bytes_out),
                      FIELD(total, compressed_in_wire),
                      FIELD(total, compressed_in_plain),
                      FIELD(total, compressed_out_wire),
                      FIELD(total, compressed_out_plain),
                      FIELD(total, pushed),
                      FIELD(total, back_pressured),
                      FIELD(total, dropped),
                      FIELD(total, pings_sent),
                      FIELD(total, compression_bytes),
                      FIELD(total, compression_peak),
                  });
    json.key("closes").begin_object();
    for (size_t k = 0; k < static_cast<size_t>(websocket::CloseKind::Count); ++k)
        json.member(websocket::close_kind_name(static_cast<websocket::CloseKind>(k)),
                    total.closes[k]);
    json.end_object();
    json.end_object();
}

// Outbound connections, name resolution and each proxy's upstreams (the dashboard's upstreams
// card).
void outbound_section(JsonWriter& json, const StatusSources& sources) {
    net::ConnectStats connects = net::connect_stats();
    net::ResolverStats dns = net::resolver_stats();
    json.key("outbound").begin_object();
    members(json, {
                      FIELD(connects, attempts),
                      FIELD(connects, established),
                      FIELD(connects, refused),
                      FIELD(connects, unreachable),
                      FIELD(connects, timed_out),
                      FIELD(connects, failed),
                      FIELD(connects, time_wait_reuses),
                  });
    object(json, "dns",
           {FIELD(dns, lookups), FIELD(dns, answered_locally), FIELD(dns, queries),
            FIELD(dns, not_found), FIELD(dns, timed_out), FIELD(dns, servers_demoted),
            FIELD(dns, servers_benched)});
    json.end_object();
    if (sources.proxy_count == 0) return;
    json.key("proxies").begin_array();
    for (size_t p = 0; p < sources.proxy_count; ++p) {
        const http::ReverseProxy& proxy = *sources.proxies[p];
        json.begin_object();
        json.member("prefix", proxy.prefix());
        json.member("no_upstream", proxy.no_upstream());
        json.member("tunnels", proxy.tunnels());
        json.key("upstreams").begin_array();
        for (size_t i = 0; i < proxy.upstream_count(); ++i) {
            http::UpstreamStats u = proxy.upstream_stats(i);
            json.begin_object();
            json.member("name", std::string_view(u.name));
            json.member("up", u.up);
            members(json, {
                              {"open", u.pool.open},
                              {"idle", u.pool.idle},
                              {"connects", u.pool.connects},
                              {"reuses", u.pool.reuses},
                              FIELD(u, requests),
                              FIELD(u, failures),
                              FIELD(u, in_flight),
                              {"latency_avg_us",
                               u.requests ? u.latency_ns_total / u.requests / kMicrosecond : 0},
                              {"latency_max_us", u.latency_ns_max / kMicrosecond},
                          });
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
    json.end_array();
}

}  // namespace

void mark_memory_baseline() {
    g_heap_at_start = memory::stats().heap_used;
    g_stack_pages_at_start = memory::stack_space_stats().pages_mapped;
}

std::string_view status_json(const StatusSources& sources, char* buffer, size_t capacity) {
    http::Server& server = *sources.http;
    JsonWriter json(buffer, capacity);
    json.begin_object();
    json.member("board", kBoard.name);
    json.member("version", CORONET_VERSION);
    json.member("uptime_ms", ns_to_ms(uptime_ns()));
    if (auto date = server.date(); !date.empty()) json.member("time", date);
    // The wall clock and its reference: unix_us lets a client compare it with its own clock.
    wall_clock::Stats clock = wall_clock::stats();
    json.key("clock").begin_object();
    json.member("source", clock.source);
    json.member("synced", clock.synced);
    json.member("unix_us", ns_to_us(wall_clock::unix_ns()));
    json.member("offset_us", clock.last_offset_ns / static_cast<int64_t>(kMicrosecond));
    json.member("syncs", clock.syncs);
    json.member("steps", clock.steps);
    json.member("since_sync_ms", ns_to_ms(clock.since_sync_ns));
    json.member("frequency_ppb", clock.frequency_ppb);
    json.member("slewing_us", clock.slew_remaining_ns / static_cast<int64_t>(kMicrosecond));
    json.member("server", net::time_sync_stats().server);
    json.end_object();

    http::ServerStats http = server.stats();
    object(json, "http",
           {
               FIELD(http, connections_open),
               FIELD(http, connections_total),
               FIELD(http, connections_refused),
               FIELD(http, connections_reclaimed),
               FIELD(http, max_connections),
               FIELD(http, requests),
               FIELD(http, responses_4xx),
               FIELD(http, responses_5xx),
               FIELD(http, timeouts),
           });

    if (sources.redis) {
        redis::ServerStats redis = sources.redis->stats();
        object(json, "redis",
               {
                   FIELD(redis, clients),
                   FIELD(redis, connections_total),
                   FIELD(redis, connections_refused),
                   FIELD(redis, commands),
                   FIELD(redis, keys),
                   FIELD(redis, expired_keys),
                   FIELD(redis, evicted_keys),
                   FIELD(redis, keyspace_hits),
                   FIELD(redis, keyspace_misses),
                   FIELD(redis, protocol_errors),
               });
    }

    if (sources.iperf3) {
        iperf3::ServerStats iperf3 = sources.iperf3->stats();
        json.key("iperf3").begin_object();
        json.member("port", uint64_t{sources.iperf3->port()});
        json.member("state", iperf3.state);
        members(json, {
                          FIELD(iperf3, tests),
                          FIELD(iperf3, completed),
                          FIELD(iperf3, failed),
                          FIELD(iperf3, denied),
                          FIELD(iperf3, malformed),
                          FIELD(iperf3, streams),
                          FIELD(iperf3, bytes_received),
                          FIELD(iperf3, bytes_sent),
                      });
        json.end_object();
    }

    if (sources.websocket_count > 0) websocket_section(json, sources);
    outbound_section(json, sources);

    sched::Stats sched = sched::stats();
    object(json, "coroutines",
           {
               FIELD(sched, alive),
               FIELD(sched, spawned),
               FIELD(sched, switches),
               FIELD(sched, stack_bytes),
               FIELD(sched, idle_ns),
           });

    // Used = everything not free: the image, page tables, stacks, buffers and the heap's use.
    memory::Stats memory = memory::stats();
    memory::StackSpaceStats stacks = memory::stack_space_stats();
    uint64_t free = memory::free_bytes();
    object(json, "memory",
           {
               {"total_bytes", memory.ram_bytes},
               {"used_bytes", memory.ram_bytes > free ? memory.ram_bytes - free : uint64_t{0}},
               {"free_bytes", free},
               {"reserve_bytes", memory::reserve_bytes()},
               FIELD(memory, heap_bytes),
               {"heap_used_bytes", memory.heap_used},
               FIELD(memory, heap_table_pages),
               {"stack_pages_mapped", stacks.pages_mapped},
               {"stack_page_faults", stacks.page_faults},
               {"stack_table_pages", stacks.table_pages},
               {"refusals", memory.refusals + stacks.refused_pages + memory.heap_refusals},
           });

    // What an open connection costs, all in: the stack pages its coroutine touched, its state
    // on the heap (connection, coroutine, buffers it holds) and lwIP's objects for it. Shares
    // of the totals: the stack pages and heap bytes taken since the apps were up.
    net::StackStats stack = net::stack_stats();
    uint64_t open = http.connections_open;
    uint64_t lwip = stack.object_bytes;
    // The document's own buffer (on the heap, `capacity` bytes, for as long as it is written)
    // is not connection state.
    uint64_t heap_now = memory.heap_used > capacity ? memory.heap_used - capacity : 0;
    uint64_t heap_growth = heap_now > g_heap_at_start ? heap_now - g_heap_at_start : 0;
    uint64_t state = heap_growth > lwip ? heap_growth - lwip : 0;
    uint64_t stack_pages = stacks.pages_mapped > g_stack_pages_at_start
                               ? stacks.pages_mapped - g_stack_pages_at_start
                               : 0;
    uint64_t stack_bytes = stack_pages * kPageSize;
    auto per = [open](uint64_t bytes) { return open ? bytes / open : uint64_t{0}; };
    json.key("connections").begin_object();
    json.member("open", open);
    object(json, "bytes_per_connection",
           {
               {"total", per(stack_bytes + state + lwip)},
               {"stack", per(stack_bytes)},
               {"state", per(state)},
               {"lwip", per(lwip)},
           });
    json.end_object();

    json.key("net").begin_array();
    for (size_t i = 0; i < drivers::device_count(); ++i) {
        drivers::NetDevice* device = drivers::device(i);
        drivers::NetCounters c = device->counters();
        json.begin_object();
        json.member("name", device->name());
        members(json, {
                          FIELD(c, rx_packets),
                          FIELD(c, rx_bytes),
                          FIELD(c, rx_dropped),
                          FIELD(c, rx_coalesced),
                          FIELD(c, rx_checksum_trusted),
                          FIELD(c, tx_packets),
                          FIELD(c, tx_bytes),
                          FIELD(c, tx_dropped),
                          FIELD(c, interrupts),
                          FIELD(c, interrupts_missed),
                          FIELD(c, rx_nudges),
                      });
        json.end_object();
    }
    json.end_array();

    // The stack's buffers: what a connection holding data or a burst of traffic pins.
    net::InterfaceStats frames = net::interface_stats();
    json.key("stack").begin_object();
    members(json, {
                      FIELD(frames, rx_lent),
                      FIELD(frames, rx_copied),
                      FIELD(frames, rx_no_pbuf),
                      FIELD(frames, tx_backlog),
                      FIELD(frames, tx_busy),
                      FIELD(frames, tx_dropped),
                  });
    pool(json, "pbuf_pool", stack.pbuf_pool);
    pool(json, "tcp_pcbs", stack.tcp_pcbs);
    pool(json, "tcp_segs", stack.tcp_segs);
    json.member("object_bytes", stack.object_bytes);
    json.member("indexed", stack.indexed);
    json.member("index_hits", stack.index_hits);
    json.member("index_skips", stack.index_skips);
    json.member("index_unread", stack.index_unread);
    json.member("time_wait_reuses", stack.time_wait_reuses);
    // The retransmission timer (net/lwip/retransmit.hpp).
    net::retransmit::Stats rto = net::retransmit::stats();
    object(json, "retransmit",
           {
               FIELD(rto, timed),
               FIELD(rto, in_flight),
               FIELD(rto, timeouts),
               FIELD(rto, rtt_samples),
               FIELD(rto, srtt_us),
               FIELD(rto, untracked),
               FIELD(rto, partial_acks),
               FIELD(rto, probes),
           });
    json.end_object();

    // Connection buffers (net::BufferedStream): held only while a connection has something to
    // read or send, so with every connection idle, bytes_held is 0.
    net::ConnectionBufferStats buffers = net::connection_buffer_stats();
    object(json, "connection_buffers",
           {
               FIELD(buffers, buffer_size),
               FIELD(buffers, pooled),
               FIELD(buffers, cached),
               FIELD(buffers, peak_pooled),
               FIELD(buffers, large_bytes),
               FIELD(buffers, refused),
               FIELD(buffers, bytes_held),
           });
    json.end_object();
    return json.complete() ? json.text() : std::string_view{};
}

#undef FIELD

}  // namespace coronet::apps
