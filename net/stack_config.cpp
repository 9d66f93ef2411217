// Boot options to StackOptions, with a log line for every value that cannot be used.
#include "net/stack_config.hpp"

#include "drivers/virtio/mmio_cmdline.hpp"
#include "kernel/log.hpp"
#include "lib/time_units.hpp"
#include "net/ip_address.hpp"
#include "net/resolver.hpp"

namespace coronet::net {
namespace {

uint16_t ring_option(const BootConfig& config, std::string_view key) {
    auto value = config.get_number(key);
    if (!value) {
        if (config.has(key))
            LOG_WARN("virtio: %.*s wants a number", static_cast<int>(key.size()), key.data());
        return 0;
    }
    if (*value == 0 || *value > virtio::VirtioNet::kMaxQueueSize || (*value & (*value - 1)) != 0) {
        LOG_WARN("virtio: %.*s=%llu is not a power of two up to %u; ignored",
                 static_cast<int>(key.size()), key.data(), *value,
                 virtio::VirtioNet::kMaxQueueSize);
        return 0;
    }
    return static_cast<uint16_t>(*value);
}

void read_ipv4(const BootConfig& config, StackOptions& options) {
    auto ip = config.get("ip");
    if (!ip) return;
    Ipv4Config& ipv4 = options.first_interface.ipv4;
    if (!parse_ipv4_with_prefix(*ip, ipv4.address, ipv4.netmask)) {
        LOG_ERROR("net: bad ip=%.*s (want a.b.c.d/prefix); using DHCP",
                  static_cast<int>(ip->size()), ip->data());
        return;
    }
    ipv4.is_static = true;
    if (auto gw = config.get("gw"); gw && !parse_ipv4(*gw, ipv4.gateway)) {
        ip4_addr_set_zero(&ipv4.gateway);
        LOG_ERROR("net: bad gw=%.*s; no gateway", static_cast<int>(gw->size()), gw->data());
    }
}

// dns=ADDRESS[,ADDRESS...]: IPv4 or IPv6 servers, asked in order.
void read_dns_servers(const BootConfig& config, StackOptions& options) {
    auto list = config.get("dns");
    if (!list) return;
    std::string_view rest = *list;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (options.dns_server_count == kMaxDnsServers) {
            LOG_WARN("net: dns= lists more than %zu servers; the rest are ignored", kMaxDnsServers);
            return;
        }
        if (!parse_ip(item, options.dns_servers[options.dns_server_count]))
            LOG_ERROR("net: bad dns server %.*s", static_cast<int>(item.size()), item.data());
        else ++options.dns_server_count;
    }
}

// host=NAME=ADDRESS (repeatable): names the resolver answers itself, as /etc/hosts does.
void read_static_hosts(const BootConfig& config, StackOptions& options) {
    for (size_t i = 0;; ++i) {
        auto entry = config.get_nth("host", i);
        if (!entry) return;
        if (options.host_count == kMaxStaticHosts) {
            LOG_WARN("net: more than %zu host= entries; the rest are ignored", kMaxStaticHosts);
            return;
        }
        size_t equals = entry->find('=');
        StaticHost& host = options.hosts[options.host_count];
        host.name = entry->substr(0, equals);
        if (equals == std::string_view::npos || host.name.empty() ||
            host.name.size() > kMaxHostNameLength ||
            !parse_ip(entry->substr(equals + 1), host.address)) {
            LOG_ERROR("net: bad host=%.*s (want NAME=ADDRESS)", static_cast<int>(entry->size()),
                      entry->data());
            continue;
        }
        ++options.host_count;
    }
}

// ntp=SERVER[,SERVER...]: names or addresses, asked in order; ntp=off: no NTP, not even
// servers a DHCP lease offers.
void read_ntp_servers(const BootConfig& config, StackOptions& options) {
    auto list = config.get("ntp");
    if (!list) return;
    TimeSyncOptions& sync = options.time_sync;
    if (*list == "off") {
        sync.enabled = false;
        return;
    }
    std::string_view rest = *list;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (sync.server_count == kMaxNtpServers) {
            LOG_WARN("net: ntp= lists more than %zu servers; the rest are ignored", kMaxNtpServers);
            return;
        }
        if (item.empty() || item.size() > kMaxHostNameLength)
            LOG_ERROR("net: bad ntp server '%.*s'", static_cast<int>(item.size()), item.data());
        else sync.servers[sync.server_count++] = item;
    }
}

// tcp.rto_min_ms=N: the least retransmission time-out (N >= 1). Lower recovers a lost segment
// sooner on a short path, but below a peer's delayed-ACK time (40 ms on Linux, 200 ms on
// Windows) it sends segments again that were not lost.
void read_retransmission(const BootConfig& config, retransmit::Options& options) {
    if (!config.has("tcp.rto_min_ms")) return;
    auto ms = config.get_number("tcp.rto_min_ms");
    if (!ms || *ms < 1 || *ms > ns_to_ms(options.rto_max_ns)) {
        LOG_ERROR("net: tcp.rto_min_ms wants 1 to %llu milliseconds; %llu used",
                  static_cast<unsigned long long>(ns_to_ms(options.rto_max_ns)),
                  static_cast<unsigned long long>(ns_to_ms(options.rto_min_ns)));
        return;
    }
    options.rto_min_ns = ms_to_ns(*ms);
}

// IDLE,INTERVAL,COUNT (seconds, seconds, probes), or "off".
std::optional<Keepalive> parse_keepalive(std::string_view text) {
    if (text == "off") return Keepalive{};
    constexpr unsigned long long kMostSeconds = 86400, kMostProbes = 100;
    unsigned long long fields[3];
    for (size_t i = 0; i < 3; ++i) {
        size_t comma = text.find(',');
        if ((i < 2) == (comma == std::string_view::npos)) return std::nullopt;  // three items
        auto number = BootConfig::parse_number(text.substr(0, comma));
        if (!number || *number == 0 || *number > (i < 2 ? kMostSeconds : kMostProbes))
            return std::nullopt;
        fields[i] = *number;
        text = i < 2 ? text.substr(comma + 1) : std::string_view{};
    }
    return Keepalive{fields[0] * kSecond, fields[1] * kSecond, static_cast<uint32_t>(fields[2])};
}

}  // namespace

Keepalive read_keepalive(const BootConfig& config, std::string_view key) {
    for (std::string_view name : {key, std::string_view{"tcp.keepalive"}}) {
        auto value = config.get(name);
        if (!value) continue;
        if (auto parsed = parse_keepalive(*value)) return *parsed;
        LOG_ERROR("net: %.*s wants IDLE,INTERVAL,COUNT (seconds) or off; '%.*s' ignored",
                  static_cast<int>(name.size()), name.data(), static_cast<int>(value->size()),
                  value->data());
    }
    return kDefaultKeepalive;
}

StackOptions read_stack_options(const BootConfig& config) {
    StackOptions options;
    read_ipv4(config, options);
    read_dns_servers(config, options);
    read_static_hosts(config, options);
    read_ntp_servers(config, options);
    options.first_interface.ipv6 = config.get_or("ipv6", "on") != "off";
    read_retransmission(config, options.retransmit);

    virtio::ProbeOptions& devices = options.devices;
    devices.net.rx_queue_size = ring_option(config, "virtio_net.rx_ring");
    devices.net.tx_queue_size = ring_option(config, "virtio_net.tx_ring");
    if (auto every = config.get_number("virtio_net.lose_interrupts"); every && *every > 0)
        devices.net.lose_interrupts = static_cast<uint32_t>(*every);
    std::string_view offloads = config.get_or("virtio_net.rx_offloads", "on");
    devices.net.no_receive_offloads = offloads == "off";
    if (offloads != "on" && offloads != "off")
        LOG_WARN("boot: virtio_net.rx_offloads wants on or off; on used");
    size_t given = config.count(virtio::kMmioDeviceKey);
    if (given > virtio::ProbeOptions::kMaxCommandLineDevices)
        LOG_WARN("virtio: %zu devices on the command line, only the first %zu are used", given,
                 virtio::ProbeOptions::kMaxCommandLineDevices);
    while (devices.mmio_device_count < virtio::ProbeOptions::kMaxCommandLineDevices) {
        auto value = config.get_nth(virtio::kMmioDeviceKey, devices.mmio_device_count);
        if (!value) break;
        devices.mmio_devices[devices.mmio_device_count++] = *value;
    }
    return options;
}

}  // namespace coronet::net
