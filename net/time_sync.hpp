// Wall-clock time from NTP: lwIP's SNTP client asks the servers given with ntp= (or, without
// them, those a DHCP lease offers) and hands each answer to the kernel's wall clock, which
// steps the first time and slews after (kernel/clock_discipline.hpp).
#pragma once

#include <cstddef>
#include <string_view>

#include "lwip/opt.h"

namespace coronet::net {

inline constexpr size_t kMaxNtpServers = SNTP_MAX_SERVERS;

struct TimeSyncOptions {
    // Host names or address literals, asked in order (the next when one stays silent); views
    // into the boot command line, so valid forever.
    std::string_view servers[kMaxNtpServers]{};
    size_t server_count = 0;
    bool enabled = true;  // false: no NTP at all, not even from DHCP (ntp=off)
};

// Starts the client as soon as an interface has an address (at once, with a static one); with
// no servers given, when a DHCP lease offers some. Called once, by start_stack().
void start_time_sync(const TimeSyncOptions& options);

struct TimeSyncStats {
    std::string_view server;  // the server that answered last (else the first); empty if none
    bool from_dhcp;           // the servers came from a DHCP lease
};
TimeSyncStats time_sync_stats();

}  // namespace coronet::net
