// Wall clock: the board's RTC was found at boot, says a year between 2024 and 2100 (QEMU starts
// it at the host's UTC time), agrees with a fresh RTC read, and advances with the uptime.
#include <cinttypes>
#include <cstdint>

#include "arch/rtc.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/uptime.hpp"
#include "kernel/wall_clock.hpp"
#include "lib/civil_time.hpp"
#include "lib/time_units.hpp"
#include "tests/kernel/ktest.hpp"

using namespace coronet;

namespace {

constexpr uint64_t kWaitMs = 2500;
constexpr uint64_t kSampleMs = 100;

// The RTC minus the derived clock, in seconds. The derived clock may trail by up to one second
// (the boot read lands anywhere within a second) plus the uptime counter's calibration error.
bool agrees_with_rtc(uint64_t derived) {
    auto rtc = arch::rtc::read_unix_seconds();
    KCHECK(rtc.ok());
    if (!rtc.ok()) return false;
    auto difference = static_cast<int64_t>(*rtc) - static_cast<int64_t>(derived);
    printf("ktest: rtc %" PRIu64 ", wall clock %" PRIu64 " (rtc ahead by %" PRId64 " s)\n", *rtc,
           derived, difference);
    return difference >= -1 && difference <= 2;
}

struct Sampler {
    uint64_t first = 0;
    uint64_t last = 0;
    bool went_backwards = false;
};

void sample(void* argument) {
    auto* s = static_cast<Sampler*>(argument);
    uint64_t until = sched::now() + kWaitMs * kMillisecond;
    s->first = s->last = wall_clock::unix_seconds();
    while (sched::now() < until) {
        sched::sleep_for(kSampleMs * kMillisecond);
        uint64_t now = wall_clock::unix_seconds();
        if (now < s->last) s->went_backwards = true;
        s->last = now;
    }
}

}  // namespace

KTEST(wall_clock, "the RTC gives a plausible wall time that advances with the uptime") {
    KCHECK(wall_clock::available());
    uint64_t start = wall_clock::unix_seconds();
    civil::DateTime t = civil::from_unix_seconds(static_cast<int64_t>(start));
    printf("ktest: %s rtc: %04" PRId64 "-%02u-%02u %02u:%02u:%02u UTC (%" PRIu64 ")\n",
           arch::rtc::device_name(), t.year, t.month, t.day, t.hour, t.minute, t.second, start);
    KCHECK(t.year >= 2024 && t.year <= 2100);
    KCHECK(agrees_with_rtc(wall_clock::unix_seconds()));

    uint64_t uptime_before = uptime_ns();
    Sampler sampler;
    auto spawned = sched::spawn(sample, &sampler, {.name = "wall-clock-sampler"});
    KCHECK(spawned.ok());
    if (!spawned.ok()) return;
    sched::run_until_idle();
    KCHECK(sched::join(*spawned).ok());
    uint64_t elapsed_s = ns_to_s(uptime_ns() - uptime_before);

    uint64_t advanced = sampler.last - sampler.first;
    printf("ktest: %" PRIu64 " s of uptime, the wall clock advanced %" PRIu64 " s\n", elapsed_s,
           advanced);
    KCHECK(!sampler.went_backwards);
    KCHECK(advanced + 1 >= elapsed_s && advanced <= elapsed_s + 1);
    KCHECK(advanced >= 2);
    KCHECK(agrees_with_rtc(wall_clock::unix_seconds()));
}
