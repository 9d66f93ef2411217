// The boot-time RTC reading carried forward by the uptime through a ClockDiscipline, which the
// corrections handed in adjust. The RTC counts whole seconds and is read at an unknown point
// within one, so until a reference corrects it the clock may run up to a second behind the
// RTC; between corrections it never goes backwards.
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
ClockDiscipline g_clock;
const char* g_source = "none";
uint64_t g_syncs = 0;
uint64_t g_steps = 0;
int64_t g_last_offset_ns = 0;
uint64_t g_last_sync_uptime_ns = 0;

uint64_t magnitude(int64_t value) {
    return value < 0 ? static_cast<uint64_t>(-(value + 1)) + 1 : static_cast<uint64_t>(value);
}

char sign(int64_t value) { return value < 0 ? '-' : '+'; }

void log_date(const char* what, int64_t unix_s, const char* source) {
    civil::DateTime t = civil::from_unix_seconds(unix_s);
    LOG_INFO("clock: %s %04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ (%s)", what, t.year, t.month, t.day,
             t.hour, t.minute, t.second, source);
}

void log_correction(const ClockCorrection& c, const char* source) {
    uint64_t offset = magnitude(c.offset_ns);
    if (c.kind == CorrectionKind::Step) {
        LOG_INFO("clock: stepped by %c%" PRIu64 ".%06" PRIu64 " s (%s)", sign(c.offset_ns),
                 offset / kSecond, offset % kSecond / kMicrosecond, source);
        return;
    }
    uint64_t rate = magnitude(c.frequency_ppb);
    LOG_DEBUG("clock: %s offset %c%" PRIu64 " us, slewed away in %" PRIu64
              " ms; rate correction %c%" PRIu64 ".%03" PRIu64 " ppm",
              source, sign(c.offset_ns), offset / kMicrosecond, ns_to_ms(c.slew_ns),
              sign(c.frequency_ppb), rate / 1000, rate % 1000);
}

}  // namespace

void init() {
    uint64_t before_ns = uptime_ns();
    auto seconds = arch::rtc::read_unix_seconds();
    if (!seconds) {
        LOG_WARN("clock: no wall time (%s rtc: %s)", arch::rtc::device_name(),
                 error_name(seconds.error()));
        return;
    }
    uint64_t read_at = uptime_ns();
    g_clock.set(read_at, static_cast<int64_t>(*seconds * kSecond));
    g_available = true;
    g_source = "rtc";

    civil::DateTime t = civil::from_unix_seconds(static_cast<int64_t>(*seconds));
    LOG_INFO("clock: wall time %04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ (%s, read in %" PRIu64
             " us)",
             t.year, t.month, t.day, t.hour, t.minute, t.second, arch::rtc::device_name(),
             ns_to_us(read_at - before_ns));
    if (t.year < kPlausibleYear)
        LOG_WARN("clock: the %s rtc looks unset (year %" PRId64 ")", arch::rtc::device_name(),
                 t.year);
}

bool available() { return g_available; }

uint64_t unix_ns() {
    if (!g_available) return 0;
    int64_t now = g_clock.unix_ns(uptime_ns());
    return now > 0 ? static_cast<uint64_t>(now) : 0;
}

uint64_t unix_seconds() { return ns_to_s(unix_ns()); }

ClockCorrection correct(uint64_t true_unix_ns, const char* source) {
    uint64_t now = uptime_ns();
    if (!g_available) g_clock.set(now, 0);  // no RTC: the first correction steps from 1970
    ClockCorrection c = g_clock.correct(now, static_cast<int64_t>(true_unix_ns));
    bool first = g_syncs == 0;
    g_available = true;
    g_source = source;
    ++g_syncs;
    if (c.kind == CorrectionKind::Step) ++g_steps;
    g_last_offset_ns = c.offset_ns;
    g_last_sync_uptime_ns = now;
    log_correction(c, source);
    if (first) log_date("wall time", static_cast<int64_t>(ns_to_s(true_unix_ns)), source);
    return c;
}

Stats stats() {
    uint64_t now = uptime_ns();
    return {.source = g_source,
            .synced = g_syncs > 0,
            .syncs = g_syncs,
            .steps = g_steps,
            .last_offset_ns = g_last_offset_ns,
            .frequency_ppb = g_clock.frequency_ppb(),
            .slew_remaining_ns = g_clock.slew_remaining_ns(now),
            .since_sync_ns = g_syncs ? now - g_last_sync_uptime_ns : 0};
}

}  // namespace coronet::wall_clock
