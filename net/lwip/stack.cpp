// lwIP bring-up, its timers on a coroutine, the end-of-pass output source, and the port hooks
// lwIP calls back into: time, randomness, assertions, the "not from an interrupt" check.
#include "net/lwip/stack.hpp"

#include <cstring>

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "drivers/net_device.hpp"
#include "drivers/virtio/probe.hpp"
#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"
#include "lib/time_units.hpp"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "net/lwip/address_log.hpp"
#include "net/lwip/interface.hpp"
#include "net/lwip/pcb_index.hpp"
#include "net/lwip/retransmit.hpp"
#include "net/lwip/time_wait.hpp"
#include "net/time_sync.hpp"

namespace coronet::net {
namespace {

constexpr uint64_t kInterruptCheckInterval = 100 * kMillisecond;  // between lost-interrupt checks

sched::Event g_timers_changed;
sched::Deadline g_timers_deadline = sched::kForever;
sched::Deadline g_next_interrupt_check = 0;
sched::EventSource g_output;  // signalled by stack_activity(), polled once per reactor pass

constexpr int kLoopbackRounds = 4;  // of looped-back delivery per reactor pass

bool loopback_pending() {
    netif* interface;
    NETIF_FOREACH(interface) {
        if (interface->loop_first) return true;
    }
    return false;
}

// The earlier of lwIP's next timeout and the retransmission timer's.
sched::Deadline next_lwip_deadline() {
    sched::Deadline retransmission = retransmit::next_deadline();
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE) return retransmission;
    sched::Deadline timeout = sched::now() + ms_to_ns(ms);
    return timeout < retransmission ? timeout : retransmission;
}

// Lets each device look for work a lost interrupt left waiting (NetDevice::check_interrupts)
// and follows its link, at most once per kInterruptCheckInterval.
void check_devices() {
    sched::Deadline now = sched::now();
    if (now < g_next_interrupt_check) return;
    g_next_interrupt_check = now + kInterruptCheckInterval;
    for (size_t i = 0; i < drivers::device_count(); ++i) drivers::device(i)->check_interrupts();
    check_links();
}

// Runs lwIP's timeouts (ARP, DHCP, TCP's slow and fast timers, ...) and our retransmission
// timer when they are due; sleeps until the next one, or until stack_activity() sees that a
// call added an earlier one.
void timers_main(void*) {
    for (;;) {
        sys_check_timeouts();
        retransmit::run(sched::now());
        // What the timeouts sent leaves now, not at the end of the pass after the coroutines
        // run: an SNTP request is stamped just before it is sent, and each millisecond it
        // waits here would be half a millisecond of error in the offset it measures.
        flush_interfaces();
        stack_activity();  // a timer may have sent to ourselves: delivered at the pass's end
        check_devices();
        g_timers_deadline = next_lwip_deadline();
        g_timers_changed.reset();
        (void)g_timers_changed.wait(g_timers_deadline);
    }
}

// The end of a reactor pass for the stack: looped-back packets delivered, the devices told
// about the frames the pass gave them and has not announced yet, and lwIP's timer coroutine
// woken if a call armed an earlier timeout.
void poll_output(void*) {
    // Packets sent to ourselves (127.0.0.1) go up the stack now; what they answer (a SYN's
    // SYN-ACK, an ACK) is queued again, and taken in the next round or pass.
    for (int round = 0; round < kLoopbackRounds && loopback_pending(); ++round) deliver_looped();
    if (loopback_pending()) stack_activity();
    flush_interfaces();
    if (next_lwip_deadline() < g_timers_deadline) g_timers_changed.set();
}

PoolStats pool_stats(memp_t pool) {
    const stats_mem* s = lwip_stats.memp[pool];
    return {s->used, s->avail, s->max, s->err};
}

}  // namespace

void start_stack(const BootInfo& info, const StackOptions& options) {
    lwip_init();
    retransmit::configure(options.retransmit);
    log_address_changes();
    // Sources added first are polled last: this one runs after the devices' in every pass.
    g_output.name = "lwip-output";
    g_output.poll = poll_output;
    sched::add_event_source(g_output);
    for (size_t i = 0; i < options.dns_server_count; ++i)
        dns_setserver(static_cast<u8_t>(i), &options.dns_servers[i]);
    for (size_t i = 0; i < options.host_count; ++i) {
        const StaticHost& host = options.hosts[i];
        char name[DNS_LOCAL_HOSTLIST_MAX_NAMELEN + 1];
        if (host.name.size() >= sizeof name) continue;  // checked when read; never longer
        std::memcpy(name, host.name.data(), host.name.size());
        name[host.name.size()] = '\0';
        if (dns_local_addhost(name, &host.address) != ERR_OK)
            LOG_ERROR("net: no memory for host %s", name);
    }
    virtio::probe(info, options.devices);
    InterfaceConfig dynamic;  // DHCP, with the first interface's IPv6 choice
    dynamic.ipv6 = options.first_interface.ipv6;
    for (size_t i = 0; i < drivers::device_count(); ++i) {
        const InterfaceConfig& config = i == 0 ? options.first_interface : dynamic;
        if (auto added = add_interface(*drivers::device(i), config); !added) {
            LOG_ERROR("net: no interface for %s: %s", drivers::device(i)->name(),
                      error_name(added.error()));
        }
    }
    if (drivers::device_count() == 0) LOG_WARN("net: no network device found");
    start_time_sync(options.time_sync);
    auto timers = sched::spawn(timers_main, nullptr, {.name = "lwip-timers", .detached = true});
    if (!timers) panic("net: cannot start lwIP's timers: %s", error_name(timers.error()));
}

const char* stack_version() { return LWIP_VERSION_STRING; }

StackStats stack_stats() {
    uint64_t bytes = 0;
    for (int pool = 0; pool < MEMP_MAX; ++pool)
        bytes += uint64_t{lwip_stats.memp[pool]->used} * memp_pools[pool]->size;
    pcb_index::Stats index = pcb_index::stats();
    return {pool_stats(MEMP_PBUF_POOL),
            pool_stats(MEMP_TCP_PCB),
            pool_stats(MEMP_TCP_SEG),
            time_wait_reuses(),
            bytes,
            index.indexed,
            index.hits,
            index.skipped,
            index.unread};
}

void stack_activity() { sched::signal(g_output); }

}  // namespace coronet::net

extern "C" {

u32_t sys_now(void) {
    return static_cast<u32_t>(coronet::ns_to_ms(coronet::arch::clock::now_ns()));
}

void coronet_lwip_assert(const char* message, const char* file, int line) {
    coronet::panic("lwIP assertion: %s (%s:%d)", message, file, line);
}

// Interrupt handlers run with interrupts masked; lwIP must only ever run with them enabled.
void coronet_lwip_assert_context(void) {
    if (!coronet::arch::interrupts_enabled())
        coronet::panic("lwIP called with interrupts masked (interrupt context?)");
}

uint32_t coronet_lwip_random(void) {
    uint64_t value;
    if (!coronet::arch::hardware_random(value))
        value = coronet::arch::clock::ticks() * 0x9E3779B97F4A7C15ULL;
    return static_cast<uint32_t>(value >> 16);
}
}
