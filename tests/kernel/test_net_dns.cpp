// The resolver against dnsmasq on the host side of the tap (tools/client_test.py): the servers
// from `dns=` with a silent one first (passed over for dnsmasq after lwIP's tries, then set
// aside), A and AAAA of one name, a name that does not exist, a static host= entry, an answer
// cached for exactly its TTL, and the caller's deadline kept when no server answers.
#include <cstdio>

#include "kernel/boot_config.hpp"
#include "kernel/sched/scheduler.hpp"
#include "lib/time_units.hpp"
#include "lwip/dns.h"
#include "net/ip_address.hpp"
#include "net/resolver.hpp"
#include "tests/kernel/ktest.hpp"
#include "tests/kernel/net_fixture.hpp"

namespace coronet {
namespace {

using net::AddressFamily;

ip_addr_t address_option(std::string_view key) {
    ip_addr_t address{};
    auto text = boot_config().get(key);
    bool ok = text && net::parse_ip(*text, address);
    if (!ok)
        printf("ktest: boot option %.*s wants an address\n", static_cast<int>(key.size()),
               key.data());
    KCHECK(ok);
    return address;
}

const char* show(const ip_addr_t& address, char* buffer, size_t length) {
    return ipaddr_ntoa_r(&address, buffer, static_cast<int>(length));
}

// Resolves `name` and checks the answer, whether it came without a query, and how long it took.
void expect_address(std::string_view name, AddressFamily family, const ip_addr_t& wanted,
                    bool cached) {
    uint64_t start = sched::now();
    auto resolved = net::resolve(name, start + 5 * kSecond, family);
    char got[IPADDR_STRLEN_MAX] = "-";
    if (resolved) show(resolved->address, got, sizeof got);
    printf("ktest: %.*s (%s): %s%s in %llu ms\n", static_cast<int>(name.size()), name.data(),
           family == AddressFamily::Ipv6 ? "AAAA" : "A",
           resolved ? got : error_name(resolved.error()),
           resolved && resolved->cached ? " (cached)" : "",
           static_cast<unsigned long long>((sched::now() - start) / kMillisecond));
    KCHECK(resolved && ip_addr_eq(&resolved->address, &wanted));
    KCHECK(resolved && resolved->cached == cached);
}

void expect_error(const char* what, std::string_view name, uint64_t timeout_ns, Error wanted,
                  uint64_t at_least_ns, uint64_t at_most_ns) {
    uint64_t start = sched::now();
    auto resolved = net::resolve(name, start + timeout_ns);
    uint64_t took = sched::now() - start;
    printf("ktest: %s (%.*s): %s after %llu ms\n", what, static_cast<int>(name.size()), name.data(),
           resolved ? "resolved" : error_name(resolved.error()),
           static_cast<unsigned long long>(took / kMillisecond));
    KCHECK(!resolved && resolved.error() == wanted);
    KCHECK(took >= at_least_ns && took <= at_most_ns);
}

void dns_body() {
    const BootConfig& config = boot_config();
    std::string_view name = config.get_or("dns.name", "");
    ip_addr_t a = address_option("dns.a"), aaaa = address_option("dns.aaaa");

    // The servers as dns= lists them: a silent one, then dnsmasq. lwIP asks the first about
    // every new name and moves on after its tries (about 7 s); the resolver then sets the silent
    // one aside, so only this lookup meets it.
    ip_addr_t silent = address_option("dns.silent_server"),
              live = address_option("dns.live_server");
    KCHECK(ip_addr_eq(dns_getserver(0), &silent) && ip_addr_eq(dns_getserver(1), &live));
    // A and AAAA at once: both wait out the silent server, and it is set aside once, not twice.
    uint64_t start = sched::now();
    auto failed_over = net::resolve_both(config.get_or("dns.failover", ""), start + 20 * kSecond);
    printf("ktest: dns= with a silent server first: %s in %llu ms\n",
           failed_over ? "resolved" : error_name(failed_over.error()),
           static_cast<unsigned long long>((sched::now() - start) / kMillisecond));
    KCHECK(failed_over && failed_over->has_ipv4 && ip_addr_eq(&failed_over->ipv4, &a) &&
           failed_over->has_ipv6 && ip_addr_eq(&failed_over->ipv6, &aaaa));
    KCHECK(ip_addr_eq(dns_getserver(0), &live) && ip_addr_isany(dns_getserver(1)));
    KCHECK(net::resolver_stats().servers_demoted == 1 &&
           net::resolver_stats().servers_benched == 1);

    // New names now go to dnsmasq first (each within a 5 s deadline, less than the silent
    // server's tries).
    expect_address(name, AddressFamily::Ipv4, a, false);
    expect_address(name, AddressFamily::Ipv6, aaaa, false);
    expect_address(name, AddressFamily::Ipv4, a, true);  // within its TTL: no query

    auto both = net::resolve_both(config.get_or("dns.both", ""), sched::now() + 5 * kSecond);
    KCHECK(both && both->has_ipv4 && both->has_ipv6 && ip_addr_eq(&both->ipv4, &a) &&
           ip_addr_eq(&both->ipv6, &aaaa));

    // lwIP takes an error answer (NXDOMAIN) on to the next server: with the silent one set
    // aside, dnsmasq's answer is the last word, within a round trip.
    expect_error("missing", config.get_or("dns.missing", ""), 5 * kSecond, Error::NotFound, 0,
                 2 * kSecond);
    expect_error("bad name", "no spaces allowed", kSecond, Error::InvalidArgument, 0, kSecond);
    expect_address(config.get_or("dns.static", ""), AddressFamily::Ipv4ThenIpv6,
                   address_option("dns.static_address"), true);

    // An answer with a TTL of dns.ttl seconds: cached within it, asked again after it.
    std::string_view brief = config.get_or("dns.brief", "");
    ip_addr_t brief_address = address_option("dns.brief_address");
    uint64_t ttl = config.get_number("dns.ttl").value_or(2) * kSecond;
    expect_address(brief, AddressFamily::Ipv4, brief_address, false);
    expect_address(brief, AddressFamily::Ipv4, brief_address, true);
    sched::sleep_for(ttl + 1500 * kMillisecond);  // lwIP counts TTLs in whole seconds
    expect_address(brief, AddressFamily::Ipv4, brief_address, false);

    // Only the silent server: the caller's deadline ends the wait.
    dns_setserver(0, &silent);
    expect_error("silent server", config.get_or("dns.unanswered", ""), 2 * kSecond, Error::Timeout,
                 2 * kSecond, 3 * kSecond);
    // lwIP gives up on it a few seconds later: every listed server was silent, so the one set
    // aside is listed again, once (as a DHCP lease naming it again would have it already).
    sched::Deadline restored = sched::now() + 10 * kSecond;
    while (net::resolver_stats().servers_benched != 0 && sched::now() < restored)
        sched::sleep_for(100 * kMillisecond);
    KCHECK(net::resolver_stats().servers_benched == 0);
    KCHECK(ip_addr_eq(dns_getserver(0), &silent) && ip_addr_isany(dns_getserver(1)));

    net::ResolverStats stats = net::resolver_stats();
    printf(
        "ktest: resolver: %llu lookups, %llu local, %llu queries, %llu not found, %llu timed out\n",
        static_cast<unsigned long long>(stats.lookups),
        static_cast<unsigned long long>(stats.answered_locally),
        static_cast<unsigned long long>(stats.queries),
        static_cast<unsigned long long>(stats.not_found),
        static_cast<unsigned long long>(stats.timed_out));
}

}  // namespace
}  // namespace coronet

KTEST(net_dns, "name resolution: dns= failover, A, AAAA, NXDOMAIN, static hosts, TTL") {
    coronet::ktest::run_with_network(coronet::dns_body);
}
