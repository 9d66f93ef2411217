// Boot options to StackOptions, with a log line for every value that cannot be used.
#include "net/stack_config.hpp"

#include "drivers/virtio/mmio_cmdline.hpp"
#include "kernel/log.hpp"
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

}  // namespace

StackOptions read_stack_options(const BootConfig& config) {
    StackOptions options;
    read_ipv4(config, options);
    read_dns_servers(config, options);
    read_static_hosts(config, options);
    read_ntp_servers(config, options);
    options.first_interface.ipv6 = config.get_or("ipv6", "on") != "off";

    virtio::ProbeOptions& devices = options.devices;
    devices.net.rx_queue_size = ring_option(config, "virtio_net.rx_ring");
    devices.net.tx_queue_size = ring_option(config, "virtio_net.tx_ring");
    if (auto every = config.get_number("virtio_net.lose_interrupts"); every && *every > 0)
        devices.net.lose_interrupts = static_cast<uint32_t>(*every);
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
