// The SNTP client's port: which servers, when to start, how often to ask (16 s, doubling to
// 1024 s while the clock stays close), and the timestamps it exchanges with the wall clock.
// lwIP calls the hooks below from its own timer and receive paths, never in an interrupt.
#include "net/time_sync.hpp"

#include <cstring>

#include "kernel/log.hpp"
#include "kernel/wall_clock.hpp"
#include "lib/time_units.hpp"
#include "lwip/apps/sntp.h"
#include "lwip/dhcp.h"
#include "lwip/netif.h"
#include "net/ip_address.hpp"
#include "net/ntp_timestamp.hpp"
#include "net/resolver.hpp"

namespace coronet::net {
namespace {

// Poll interval: short while the rate error is being learnt, doubled after each answer that
// found the clock within kSteadyOffsetNs, back to the shortest after one that did not.
constexpr uint32_t kMinPollMs = 16'000;
constexpr uint32_t kMaxPollMs = 1'024'000;  // NTP's default maxpoll (2^10 s)
static_assert(kMinPollMs >= 15'000, "RFC 4330 section 10: no more than one request per 15 s");
constexpr int64_t kSteadyOffsetNs = static_cast<int64_t>(10 * kMillisecond);
// An answer before this (2024-01-01) is from a server that has lost its own time.
constexpr int64_t kEarliestPlausibleUnixNs = 1'704'067'200LL * static_cast<int64_t>(kSecond);
constexpr const char* kSource = "ntp";

struct Server {
    char text[kMaxHostNameLength + 1];  // the name or address, NUL-terminated (lwIP keeps it)
};

Server g_servers[kMaxNtpServers];
size_t g_server_count = 0;
bool g_enabled = false;
bool g_from_dhcp = false;
uint32_t g_poll_ms = kMinPollMs;
netif_ext_callback_t g_callback;

bool has_usable_address() {
    netif* nif;
    NETIF_FOREACH(nif) {
        if (!netif_is_up(nif) || !netif_is_link_up(nif)) continue;
        if (!ip4_addr_isany_val(*netif_ip4_addr(nif))) return true;
        for (s8_t i = 0; i < LWIP_IPV6_NUM_ADDRESSES; ++i) {
            if (ip6_addr_isvalid(netif_ip6_addr_state(nif, i)) &&
                !ip6_addr_islinklocal(netif_ip6_addr(nif, i)))
                return true;
        }
    }
    return false;
}

void start_client() {
    if (!g_enabled || g_server_count == 0 || sntp_enabled() || !has_usable_address()) return;
    g_poll_ms = kMinPollMs;
    sntp_init();
    LOG_INFO("ntp: asking %s%s", g_servers[0].text, g_server_count > 1 ? " (and others)" : "");
}

void on_netif_change(netif*, netif_nsc_reason_t reason, const netif_ext_callback_args_t*) {
    constexpr netif_nsc_reason_t kAddressed =
        LWIP_NSC_LINK_CHANGED | LWIP_NSC_IPV4_ADDRESS_CHANGED | LWIP_NSC_IPV4_SETTINGS_CHANGED |
        LWIP_NSC_IPV6_ADDR_STATE_CHANGED;
    if (reason & kAddressed) start_client();
}

void copy_text(Server& server, std::string_view text) {
    size_t length = text.size() < sizeof server.text ? text.size() : sizeof server.text - 1;
    std::memcpy(server.text, text.data(), length);
    server.text[length] = '\0';
}

}  // namespace

void start_time_sync(const TimeSyncOptions& options) {
    g_enabled = options.enabled;
    if (!g_enabled) return;
    g_server_count = options.server_count < kMaxNtpServers ? options.server_count : kMaxNtpServers;
    for (size_t i = 0; i < g_server_count; ++i) {
        Server& server = g_servers[i];
        copy_text(server, options.servers[i]);
        ip_addr_t address;
        if (parse_ip(options.servers[i], address)) sntp_setserver(static_cast<u8_t>(i), &address);
        else sntp_setservername(static_cast<u8_t>(i), server.text);
    }
    netif_add_ext_callback(&g_callback, on_netif_change);
    start_client();
}

TimeSyncStats time_sync_stats() {
    if (g_server_count == 0) return {{}, g_from_dhcp};
    // lwIP shifts each server's reachability register left per request and sets bit 0 on an
    // answer: the lowest set bit belongs to the most recent answer.
    size_t best = 0;
    int best_age = 8;
    for (size_t i = 0; i < g_server_count; ++i) {
        u8_t reach = sntp_getreachability(static_cast<u8_t>(i));
        for (int age = 0; age < best_age; ++age) {
            if (reach & (1u << age)) {
                best = i;
                best_age = age;
                break;
            }
        }
    }
    return {g_servers[best].text, g_from_dhcp};
}

}  // namespace coronet::net

using namespace coronet;
using namespace coronet::net;

extern "C" {

// Without ntp=, a DHCP lease's NTP servers (option 42), on every ACK: taken when they differ
// from those in use, and the client (re)started with them. lwIP calls this before it applies
// the lease's address, so a first start waits for on_netif_change.
void dhcp_set_ntp_servers(u8_t count, const ip4_addr_t* servers) {
    if (!g_enabled || (g_server_count > 0 && !g_from_dhcp) || count == 0) return;
    if (count > kMaxNtpServers) count = kMaxNtpServers;
    bool same = count == g_server_count;
    for (u8_t i = 0; same && i < count; ++i) {
        const ip_addr_t* current = sntp_getserver(i);
        same = IP_IS_V4(current) && ip4_addr_eq(ip_2_ip4(current), &servers[i]);
    }
    if (same) return;
    for (u8_t i = 0; i < kMaxNtpServers; ++i) {
        if (i < count) {
            ip_addr_t address;
            ip_addr_copy_from_ip4(address, servers[i]);
            sntp_setserver(i, &address);
            ip4addr_ntoa_r(&servers[i], g_servers[i].text, sizeof g_servers[i].text);
        } else {
            sntp_setserver(i, nullptr);
        }
    }
    g_server_count = count;
    g_from_dhcp = true;
    LOG_INFO("ntp: %u server%s from DHCP", count, count == 1 ? "" : "s");
    if (sntp_enabled()) sntp_stop();
    start_client();
}

// The clock as lwIP stamps a request (t1) and an answer's arrival (t4).
void coronet_sntp_get_time(int32_t* seconds, uint32_t* fraction) {
    NtpTimestamp now = unix_ns_to_ntp(static_cast<int64_t>(wall_clock::unix_ns()));
    *seconds = now.seconds;
    *fraction = now.fraction;
}

// The time an answer says it is now (its transmit time moved on by half the round trip).
void coronet_sntp_set_time(int32_t seconds, uint32_t fraction) {
    int64_t now = ntp_to_unix_ns({seconds, fraction});
    if (now < kEarliestPlausibleUnixNs) {
        LOG_WARN("ntp: an answer before 2024 ignored (the server's clock is not set)");
        return;
    }
    ClockCorrection c = wall_clock::correct(static_cast<uint64_t>(now), kSource);
    int64_t offset = c.offset_ns < 0 ? -c.offset_ns : c.offset_ns;
    if (c.kind == CorrectionKind::Step || offset > kSteadyOffsetNs) g_poll_ms = kMinPollMs;
    else g_poll_ms = g_poll_ms * 2 > kMaxPollMs ? kMaxPollMs : g_poll_ms * 2;
}

uint32_t coronet_sntp_update_delay_ms(void) { return g_poll_ms; }
}
