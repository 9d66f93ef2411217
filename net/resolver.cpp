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

ResolverStats g_stats{};
size_t g_outstanding = 0;  // queries lwIP is working on (abandoned ones too)
bool g_demote = false;     // a slow answer came: demote once no query is outstanding
ip_addr_t g_demote_server{};

struct Query {
    sched::WaitQueue waiters;
    ip_addr_t address{};
    uint64_t started = 0;
    ip_addr_t asked_first{};  // the first server when the query began
    bool finished = false;
    bool found = false;
    bool abandoned = false;  // the caller's deadline passed: the callback frees the query
};

// lwIP asks the first server about every new name, even one whose tries have just run out for
// the last name. An answer that came only after a server's whole share of tries came from a
// later server: the first goes to the back of the list, so that the next name is asked of the
// one that answered. (Two silent servers in front take two such answers.) Only once no query is
// outstanding: lwIP holds each query's server as an index into the list, and takes answers only
// from the server at that index. Queries that waited out the same server together (A and AAAA)
// move it once: only while it is still first.
void demote_first_server(const ip_addr_t& asked_first) {
    if (!ip_addr_eq(dns_getserver(0), &asked_first)) return;
    ip_addr_t servers[DNS_MAX_SERVERS];
    u8_t count = 0;
    for (u8_t i = 0; i < DNS_MAX_SERVERS; ++i) {
        const ip_addr_t* server = dns_getserver(i);
        if (!ip_addr_isany(server)) servers[count++] = *server;
    }
    if (count < 2) return;
    for (u8_t i = 0; i < count; ++i) dns_setserver(i, &servers[(i + 1) % count]);
    for (u8_t i = count; i < DNS_MAX_SERVERS; ++i) dns_setserver(i, nullptr);
    ++g_stats.servers_demoted;
}

void on_found(const char*, const ip_addr_t* address, void* arg) {
    auto* query = static_cast<Query*>(arg);
    --g_outstanding;
    if (address && sched::now() - query->started >= kServerGiveUp) {
        g_demote = true;
        g_demote_server = query->asked_first;
    }
    if (g_demote && g_outstanding == 0) {
        g_demote = false;
        demote_first_server(g_demote_server);
    }
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
    query->started = sched::now();
    query->asked_first = *dns_getserver(0);
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

ResolverStats resolver_stats() { return g_stats; }

}  // namespace coronet::net
