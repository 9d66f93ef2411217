// Status document: uptime, HTTP counters, scheduler, memory and per-device network counters.
#include "apps/appliance/status.hpp"

#include "drivers/net_device.hpp"
#include "kernel/board.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/uptime.hpp"
#include "kernel/version.hpp"
#include "lib/align.hpp"
#include "lib/json_writer.hpp"
#include "lib/time_units.hpp"
#include "net/buffered_stream.hpp"
#include "net/lwip/interface.hpp"
#include "net/lwip/stack.hpp"

namespace coronet::apps {
namespace {

void pool(JsonWriter& json, std::string_view name, const net::PoolStats& p) {
    json.key(name).begin_object();
    json.member("used", p.used);
    json.member("size", p.size);
    json.member("peak", p.peak);
    json.member("exhausted", p.exhausted);
    json.end_object();
}

}  // namespace

std::string_view status_json(http::Server& server, char* buffer, size_t capacity) {
    JsonWriter json(buffer, capacity);
    json.begin_object();
    json.member("board", kBoard.name);
    json.member("version", CORONET_VERSION);
    json.member("uptime_ms", ns_to_ms(uptime_ns()));
    if (auto date = server.date(); !date.empty()) json.member("time", date);

    http::ServerStats http = server.stats();
    json.key("http").begin_object();
    json.member("connections_open", http.connections_open);
    json.member("connections_total", http.connections_total);
    json.member("connections_refused", http.connections_refused);
    json.member("requests", http.requests);
    json.member("responses_4xx", http.responses_4xx);
    json.member("responses_5xx", http.responses_5xx);
    json.member("timeouts", http.timeouts);
    json.end_object();

    sched::Stats sched = sched::stats();
    json.key("coroutines").begin_object();
    json.member("alive", sched.alive);
    json.member("spawned", sched.spawned);
    json.member("switches", sched.switches);
    json.member("stack_bytes", sched.stack_bytes);
    json.end_object();

    // Used = everything not free: the image, page tables, stacks, buffers and the heap's use.
    memory::Stats memory = memory::stats();
    uint64_t page = kPageSize;
    uint64_t heap_free = memory.heap_bytes - memory.heap_used;
    uint64_t free = memory.pages_free * page + heap_free;
    json.key("memory").begin_object();
    json.member("total_bytes", memory.ram_bytes);
    json.member("used_bytes", memory.ram_bytes > free ? memory.ram_bytes - free : uint64_t{0});
    json.member("free_bytes", free);
    json.member("heap_bytes", memory.heap_bytes);
    json.member("heap_used_bytes", memory.heap_used);
    json.end_object();

    json.key("net").begin_array();
    for (size_t i = 0; i < drivers::device_count(); ++i) {
        drivers::NetDevice* device = drivers::device(i);
        drivers::NetCounters c = device->counters();
        json.begin_object();
        json.member("name", device->name());
        json.member("rx_packets", c.rx_packets);
        json.member("rx_bytes", c.rx_bytes);
        json.member("rx_dropped", c.rx_dropped);
        json.member("tx_packets", c.tx_packets);
        json.member("tx_bytes", c.tx_bytes);
        json.member("tx_dropped", c.tx_dropped);
        json.member("interrupts", c.interrupts);
        json.member("interrupts_missed", c.interrupts_missed);
        json.end_object();
    }
    json.end_array();

    // The stack's buffers: what a connection holding data or a burst of traffic pins.
    net::InterfaceStats frames = net::interface_stats();
    net::StackStats stack = net::stack_stats();
    json.key("stack").begin_object();
    json.member("rx_lent", frames.rx_lent);
    json.member("rx_copied", frames.rx_copied);
    json.member("rx_no_pbuf", frames.rx_no_pbuf);
    json.member("tx_backlog", frames.tx_backlog);
    json.member("tx_busy", frames.tx_busy);
    json.member("tx_dropped", frames.tx_dropped);
    pool(json, "pbuf_pool", stack.pbuf_pool);
    pool(json, "tcp_pcbs", stack.tcp_pcbs);
    pool(json, "tcp_segs", stack.tcp_segs);
    json.member("time_wait_reuses", stack.time_wait_reuses);
    json.end_object();

    // Connection buffers (net::BufferedStream): held only while a connection has something to
    // read or send, so with every connection idle, bytes_held is 0.
    net::ConnectionBufferStats buffers = net::connection_buffer_stats();
    json.key("connection_buffers").begin_object();
    json.member("buffer_size", buffers.buffer_size);
    json.member("pooled", buffers.pooled);
    json.member("cached", buffers.cached);
    json.member("peak_pooled", buffers.peak_pooled);
    json.member("large_bytes", buffers.large_bytes);
    json.member("refused", buffers.refused);
    json.member("bytes_held", buffers.bytes_held);
    json.end_object();
    json.end_object();
    return json.complete() ? json.text() : std::string_view{};
}

}  // namespace coronet::apps
