// The boot-time RTC reading plus the uptime elapsed since it was taken. The RTC counts whole
// seconds and is read at an unknown point within one, so the result may run up to a second
// behind the RTC; it never goes backwards.
#include "kernel/wall_clock.hpp"

#include <cinttypes>

#include "arch/rtc.hpp"
#include "kernel/log.hpp"
#include "kernel/uptime.hpp"
#include "lib/civil_time.hpp"
#include "lib/time_units.hpp"

namespace coronet::wall_clock {
namespace {

// A clock that says it is before this has never been set (a flat battery, a board without
// firmware support): still used, but worth a warning.
constexpr int64_t kPlausibleYear = 2024;

bool g_available = false;
uint64_t g_rtc_seconds = 0;    // the RTC's reading ...
uint64_t g_rtc_uptime_ns = 0;  // ... and the uptime when it was taken

}  // namespace

void init() {
    uint64_t before_ns = uptime_ns();
    auto seconds = arch::rtc::read_unix_seconds();
    if (!seconds) {
        LOG_WARN("clock: no wall time (%s rtc: %s)", arch::rtc::device_name(),
                 error_name(seconds.error()));
        return;
    }
    g_rtc_seconds = *seconds;
    g_rtc_uptime_ns = uptime_ns();
    g_available = true;

    civil::DateTime t = civil::from_unix_seconds(static_cast<int64_t>(g_rtc_seconds));
    LOG_INFO("clock: wall time %04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ (%s, read in %" PRIu64
             " us)",
             t.year, t.month, t.day, t.hour, t.minute, t.second, arch::rtc::device_name(),
             ns_to_us(g_rtc_uptime_ns - before_ns));
    if (t.year < kPlausibleYear)
        LOG_WARN("clock: the %s rtc looks unset (year %" PRId64 ")", arch::rtc::device_name(),
                 t.year);
}

bool available() { return g_available; }

uint64_t unix_seconds() {
    if (!g_available) return 0;
    return g_rtc_seconds + ns_to_s(uptime_ns() - g_rtc_uptime_ns);
}

uint64_t unix_ns() {
    if (!g_available) return 0;
    return g_rtc_seconds * kSecond + (uptime_ns() - g_rtc_uptime_ns);
}

}  // namespace coronet::wall_clock
