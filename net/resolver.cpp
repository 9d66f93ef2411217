// lwIP's resolver behind a coroutine call. lwIP answers at once from its cache, or later through
// a callback; the caller may have given up by then (its deadline), so each query lives on the
// heap and whichever side comes last frees it.
#include "net/resolver.hpp"

#include <cstring>
#include <new>

#include "kernel/sched/wait_queue.hpp"
#include "lib/time_units.hpp"
#include "lwip/dns.h"
#include "net/ip_address.hpp"
#include "net/lwip/stack.hpp"

namespace coronet::net {
namespace {

// lwIP gives a server DNS_MAX_RETRIES tries, waiting 1, 1, 2, 3... seconds between them, before
// it moves to the next server or fails the query; an error answer (NXDOMAIN, no record of the
// family) arrives within a round trip. A failure that took this long is lwIP giving up on
// silent servers: a timeout, not a missing name.
constexpr uint64_t kServerGiveUp = (1 + (DNS_MAX_RETRIES - 1) * DNS_MAX_RETRIES / 2 - 1) * kSecond;

// How long a silent server stays set aside before it is listed again (at the back).
constexpr uint64_t kBenchNs = 300 * kSecond;

ResolverStats g_stats{};
size_t g_outstanding = 0;  // queries lwIP is working on (abandoned ones too)
bool g_demote = false;     // a slow answer came: set the server aside once none is outstanding
ip_addr_t g_demote_server{};
bool g_restore = false;  // a lookup failed slowly: every listed server was silent

struct Benched {
    ip_addr_t server;
    sched::Deadline until;
};
Benched g_benched[DNS_MAX_SERVERS];
size_t g_benched_count = 0;

struct Query {
    sched::WaitQueue waiters;
    ip_addr_t address{};
    uint64_t started = 0;
    ip_addr_t asked_first{};  // the first server when the query began
    u8_t listed = 0;          // servers listed when it began
    bool finished = false;
    bool found = false;
    bool abandoned = false;  // the caller's deadline passed: the callback frees the query
};

// lwIP's server list, without the empty places.
u8_t listed_servers(ip_addr_t (&servers)[DNS_MAX_SERVERS]) {
    u8_t count = 0;
    for (u8_t i = 0; i < DNS_MAX_SERVERS; ++i) {
        const ip_addr_t* server = dns_getserver(i);
        if (!ip_addr_isany(server)) servers[count++] = *server;
    }
    return count;
}

void list_servers(const ip_addr_t* servers, u8_t count) {
    for (u8_t i = 0; i < DNS_MAX_SERVERS; ++i) dns_setserver(i, i < count ? &servers[i] : nullptr);
}

// lwIP asks the first server about every new name, even one whose tries have just run out for
// the last name, and takes an error answer (NXDOMAIN) on to the next server. An answer that came
// only after a server's whole share of tries came from a later server: the first is taken off
// the list for kBenchNs, so that new names, and names that do not exist, are answered by the
// ones that answer. (Two silent servers in front take two such answers.) Only once no query is
// outstanding: lwIP holds each query's server as an index into the list, and takes answers only
// from the server at that index. Queries that waited out the same server together (A and AAAA)
// set it aside once: only while it is still first.
void bench_first_server(const ip_addr_t& asked_first) {
    if (!ip_addr_eq(dns_getserver(0), &asked_first) || g_benched_count == DNS_MAX_SERVERS) return;
    ip_addr_t servers[DNS_MAX_SERVERS];
    u8_t count = listed_servers(servers);
    if (count < 2) return;
    list_servers(servers + 1, count - 1);
    g_benched[g_benched_count++] = {servers[0], sched::now() + kBenchNs};
    ++g_stats.servers_demoted;
}

// Lists the servers set aside again, at the back: those whose time is up, or all of them when
// every listed server has just been silent. Also only once no query is outstanding.
void restore_benched(bool all) {
    ip_addr_t servers[DNS_MAX_SERVERS];
    u8_t count = listed_servers(servers);
    sched::Deadline now = sched::now();
    size_t kept = 0;
    for (size_t i = 0; i < g_benched_count; ++i) {
        const Benched& benched = g_benched[i];
        if (!all && now < benched.until) {
            g_benched[kept++] = benched;
            continue;
        }
        bool listed = false;  // DHCP may have listed it again meanwhile
        for (u8_t k = 0; k < count; ++k)
            listed = listed || ip_addr_eq(&servers[k], &benched.server);
        if (!listed && count < DNS_MAX_SERVERS) servers[count++] = benched.server;
    }
    if (kept == g_benched_count) return;
    g_benched_count = kept;
    list_servers(servers, count);
}

// Between queries: the list changes only while lwIP holds no index into it.
void tend_servers() {
    if (g_outstanding != 0) return;
    if (g_demote) bench_first_server(g_demote_server);
    if (g_benched_count) restore_benched(g_restore);
    g_demote = g_restore = false;
}

void on_found(const char*, const ip_addr_t* address, void* arg) {
    auto* query = static_cast<Query*>(arg);
    --g_outstanding;
    uint64_t took = sched::now() - query->started;
    if (address && took >= kServerGiveUp) {
        g_demote = true;
        g_demote_server = query->asked_first;
    }
    // Every listed server's tries ran out. (A slow failure alone says less: a live server may
    // have given the last, error, answer after a silent one's tries.)
    if (!address && took >= query->listed * kServerGiveUp) g_restore = true;
    tend_servers();
    if (query->abandoned) {
        delete query;
        return;
    }
    query->finished = true;
    if (address) {
        query->found = true;
        query->address = *address;
    }
    query->waiters.notify_all();
}

bool valid_host_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxHostNameLength) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok) return false;
    }
    return true;
}

// A query begun: answered already (`query` null, `resolved` set) or pending in `query`.
struct Started {
    Resolved resolved{};
    Query* query = nullptr;
};

Result<Started> start(std::string_view name, u8_t type) {
    ++g_stats.lookups;
    Started started;
    if (parse_ip(name, started.resolved.address)) {  // lwIP would ask the servers for a
        ++g_stats.answered_locally;                  // literal of the other family
        started.resolved.cached = true;
        bool v6 = IP_IS_V6_VAL(started.resolved.address);
        if ((v6 && type == LWIP_DNS_ADDRTYPE_IPV4) || (!v6 && type == LWIP_DNS_ADDRTYPE_IPV6))
            return Error::NotFound;
        return started;
    }
    if (!valid_host_name(name)) return Error::InvalidArgument;
    char text[kMaxHostNameLength + 1];
    std::memcpy(text, name.data(), name.size());
    text[name.size()] = '\0';
    auto* query = new (std::nothrow) Query();
    if (!query) return Error::OutOfMemory;
    tend_servers();  // servers set aside whose time is up are listed again
    query->started = sched::now();
    query->asked_first = *dns_getserver(0);
    ip_addr_t listed[DNS_MAX_SERVERS];
    query->listed = listed_servers(listed);
    ++g_outstanding;  // before: lwIP may call back at once
    err_t err = dns_gethostbyname_addrtype(text, &started.resolved.address, on_found, query, type);
    stack_activity();
    if (err != ERR_INPROGRESS) --g_outstanding;
    if (err == ERR_INPROGRESS) {
        ++g_stats.queries;
        started.query = query;
        return started;
    }
    delete query;
    switch (err) {
    case ERR_OK:
        ++g_stats.answered_locally;
        started.resolved.cached = true;
        return started;
    case ERR_VAL: return Error::Unreachable;   // no server to ask
    case ERR_MEM: return Error::LimitReached;  // lwIP's table of queries is full
    default: return Error::InvalidArgument;
    }
}

// Waits for a pending query; frees it unless the deadline passes first (then the callback will).
Result<Resolved> finish(Query* query, sched::Deadline deadline) {
    while (!query->finished) {
        if (!query->waiters.wait(deadline) && !query->finished) {
            query->abandoned = true;
            ++g_stats.timed_out;
            return Error::Timeout;
        }
    }
    bool found = query->found;
    ip_addr_t address = query->address;
    uint64_t took = sched::now() - query->started;
    delete query;
    if (found) return Resolved{address, false};
    if (took >= kServerGiveUp) {
        ++g_stats.timed_out;
        return Error::Timeout;
    }
    ++g_stats.not_found;
    return Error::NotFound;
}

u8_t lwip_type(AddressFamily family) {
    switch (family) {
    case AddressFamily::Ipv4: return LWIP_DNS_ADDRTYPE_IPV4;
    case AddressFamily::Ipv6: return LWIP_DNS_ADDRTYPE_IPV6;
    case AddressFamily::Ipv4ThenIpv6: return LWIP_DNS_ADDRTYPE_IPV4_IPV6;
    }
    return LWIP_DNS_ADDRTYPE_IPV4;
}

}  // namespace

Result<Resolved> resolve(std::string_view name, sched::Deadline deadline, AddressFamily family) {
    Started started = TRY(start(name, lwip_type(family)));
    if (!started.query) return started.resolved;
    return finish(started.query, deadline);
}

Result<ResolvedBoth> resolve_both(std::string_view name, sched::Deadline deadline) {
    Started v4 = TRY(start(name, LWIP_DNS_ADDRTYPE_IPV4));
    auto v6_started = start(name, LWIP_DNS_ADDRTYPE_IPV6);
    if (!v6_started && v4.query) v4.query->abandoned = true;  // its callback frees it
    Started v6 = TRY(std::move(v6_started));
    auto ipv4 = v4.query ? finish(v4.query, deadline) : Result<Resolved>(v4.resolved);
    auto ipv6 = v6.query ? finish(v6.query, deadline) : Result<Resolved>(v6.resolved);
    if (!ipv4 && !ipv6) return ipv4.error() == Error::NotFound ? ipv6.error() : ipv4.error();
    ResolvedBoth both{};
    both.has_ipv4 = ipv4.ok();
    both.has_ipv6 = ipv6.ok();
    if (ipv4) both.ipv4 = ipv4->address;
    if (ipv6) both.ipv6 = ipv6->address;
    return both;
}

ResolverStats resolver_stats() {
    ResolverStats stats = g_stats;
    stats.servers_benched = g_benched_count;
    return stats;
}

}  // namespace coronet::net
