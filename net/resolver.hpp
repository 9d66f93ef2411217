// Name resolution as a coroutine call, on lwIP's DNS resolver: address literals, the static
// hosts from the boot command line, lwIP's cache (which keeps each answer for its TTL), then
// the DNS servers (from dns= or DHCP), each query bounded by the caller's deadline. A failure
// is an error value, never a hang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/sched/scheduler.hpp"
#include "lib/result.hpp"
#include "lwip/ip_addr.h"

namespace coronet::net {

inline constexpr size_t kMaxHostNameLength = 253;  // RFC 1035's limit on a whole name

enum class AddressFamily : uint8_t {
    Ipv4,
    Ipv6,
    Ipv4ThenIpv6,  // A, and AAAA only if there is no A record
};

struct Resolved {
    ip_addr_t address;
    bool cached;  // answered without a query: a literal, a static host or lwIP's cache
};

// The servers are asked in their order; one that stays silent through all of lwIP's tries (about
// 7 s) while a later one answers is set aside for 5 minutes, so only one lookup pays for it:
// lwIP takes an error answer (NXDOMAIN) on to the next server too, so a missing name would
// otherwise wait out the silent one again. After that it is listed again, at the back, and at
// once when every listed server has been silent for a lookup.
// Errors: NotFound (the name does not exist, has no record of that family, or every server
// failed), Timeout (the deadline passed first), InvalidArgument (not a valid host name),
// Unreachable (no DNS server is known), LimitReached (too many queries outstanding).
Result<Resolved> resolve(std::string_view name, sched::Deadline deadline,
                         AddressFamily family = AddressFamily::Ipv4ThenIpv6);

// A and AAAA asked at once; NotFound only when neither exists.
struct ResolvedBoth {
    ip_addr_t ipv4;
    ip_addr_t ipv6;
    bool has_ipv4;
    bool has_ipv6;
};
Result<ResolvedBoth> resolve_both(std::string_view name, sched::Deadline deadline);

struct ResolverStats {
    uint64_t lookups;
    uint64_t answered_locally;  // literals, static hosts, cache
    uint64_t queries;           // sent to the servers
    uint64_t not_found;
    uint64_t timed_out;
    uint64_t servers_demoted;  // a silent first server set aside for the one that answered
    uint64_t servers_benched;  // set aside now
};
ResolverStats resolver_stats();

}  // namespace coronet::net
