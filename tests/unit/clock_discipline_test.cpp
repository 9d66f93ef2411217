// ClockDiscipline: the first measurement steps, later ones slew without the clock ever going
// back, the counter's rate error is learnt from the measurements, and a simulated reference
// keeps the clock within microseconds of it.
#include "kernel/clock_discipline.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "lib/time_units.hpp"

namespace coronet {
namespace {

constexpr int64_t kEpoch = 1'767'225'600LL * 1'000'000'000LL;  // 2026-01-01T00:00:00Z in ns
constexpr uint64_t kBoot = 5 * kSecond;                        // uptime when the RTC was read

int64_t ns(uint64_t value) { return static_cast<int64_t>(value); }

// Reads the clock every `step` from `from` to `to` and checks it never goes back.
void expect_monotonic(const ClockDiscipline& clock, uint64_t from, uint64_t to, uint64_t step) {
    int64_t last = clock.unix_ns(from);
    for (uint64_t t = from + step; t <= to; t += step) {
        int64_t now = clock.unix_ns(t);
        ASSERT_GE(now, last) << "went back at uptime " << t;
        last = now;
    }
}

TEST(ClockDiscipline, FollowsTheUptimeFromTheRtcReading) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    EXPECT_EQ(clock.unix_ns(kBoot), kEpoch);
    EXPECT_EQ(clock.unix_ns(kBoot + 1500 * kMillisecond), kEpoch + ns(1500 * kMillisecond));
    EXPECT_EQ(clock.unix_ns(0), kEpoch);  // before the reading: never earlier than it
    EXPECT_FALSE(clock.corrected());
}

TEST(ClockDiscipline, FirstMeasurementStepsEvenBackwards) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    uint64_t at = kBoot + 2 * kSecond;
    ClockCorrection c = clock.correct(at, kEpoch - ns(kSecond));  // the RTC was 3 s fast
    EXPECT_EQ(c.kind, CorrectionKind::Step);
    EXPECT_EQ(c.offset_ns, -ns(3 * kSecond));
    EXPECT_EQ(c.slew_ns, 0u);
    EXPECT_EQ(clock.unix_ns(at), kEpoch - ns(kSecond));
    EXPECT_EQ(clock.unix_ns(at + kSecond), kEpoch);
    EXPECT_TRUE(clock.corrected());
}

TEST(ClockDiscipline, SmallFirstOffsetIsSteppedToo) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    ClockCorrection c = clock.correct(kBoot + kSecond, kEpoch + ns(kSecond) + 1234);
    EXPECT_EQ(c.kind, CorrectionKind::Step);
    EXPECT_EQ(clock.unix_ns(kBoot + kSecond), kEpoch + ns(kSecond) + 1234);
}

// After the first step, a 20 ms offset either way: the reading carries on from where it was,
// moves only forward, and has worked the offset off within the slew period.
void check_slew(int64_t offset) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    clock.correct(kBoot, kEpoch);
    uint64_t at = kBoot + 5 * kSecond;  // too short a span to fit a rate to: only the slew
    int64_t before = clock.unix_ns(at);
    ClockCorrection c = clock.correct(at, before + offset);
    EXPECT_EQ(c.kind, CorrectionKind::Slew);
    EXPECT_EQ(c.offset_ns, offset);
    EXPECT_EQ(c.frequency_ppb, 0);
    EXPECT_GT(c.slew_ns, 0u);
    EXPECT_LE(c.slew_ns, ClockDiscipline::kSlewPeriodNs + 1);
    EXPECT_EQ(clock.unix_ns(at), before);  // continuous
    EXPECT_NEAR(static_cast<double>(clock.slew_remaining_ns(at)), static_cast<double>(offset), 1);
    expect_monotonic(clock, at, at + c.slew_ns + kSecond, 997);
    uint64_t later = at + c.slew_ns + 3 * kSecond;
    EXPECT_NEAR(static_cast<double>(clock.unix_ns(later) - (before + offset)),
                static_cast<double>(later - at), 2);
    EXPECT_EQ(clock.slew_remaining_ns(later), 0);
    // Halfway, about half is done.
    int64_t half = clock.slew_remaining_ns(at + c.slew_ns / 2);
    EXPECT_NEAR(static_cast<double>(half), static_cast<double>(offset) / 2,
                std::max(1.0, std::abs(static_cast<double>(offset)) / 100));
}

TEST(ClockDiscipline, LaterOffsetIsSlewedForward) { check_slew(20 * kMillisecond); }
TEST(ClockDiscipline, LaterOffsetIsSlewedBackWithoutGoingBack) {
    check_slew(-ns(20 * kMillisecond));
}
TEST(ClockDiscipline, TinyOffsetIsSlewedToo) { check_slew(3); }

TEST(ClockDiscipline, SlewRateIsCapped) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    clock.correct(kBoot, kEpoch);
    uint64_t at = kBoot + 20 * kSecond;
    int64_t offset = -ns(900 * kMillisecond);
    ClockCorrection c = clock.correct(at, clock.unix_ns(at) + offset);
    EXPECT_EQ(c.kind, CorrectionKind::Slew);
    // 900 ms at 0.5 %: 180 s, during which a second of uptime is 995 ms of wall time.
    EXPECT_NEAR(static_cast<double>(c.slew_ns), 180e9, 1e3);
    EXPECT_EQ(clock.unix_ns(at + kSecond) - clock.unix_ns(at), ns(995 * kMillisecond));
    expect_monotonic(clock, at, at + c.slew_ns + kSecond, 10'007'000);
}

TEST(ClockDiscipline, LargeLaterOffsetIsStepped) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    clock.correct(kBoot, kEpoch);
    uint64_t at = kBoot + 30 * kSecond;
    int64_t target = clock.unix_ns(at) + ns(5 * kSecond);
    ClockCorrection c = clock.correct(at, target);
    EXPECT_EQ(c.kind, CorrectionKind::Step);
    EXPECT_EQ(clock.unix_ns(at), target);
}

// A counter running 300 ppm slow, a reference answering every 16 s with up to +-0.5 ms of
// noise: the rate is learnt to a few ppm, the clock tracks the reference to well under a
// millisecond, and it never goes back.
TEST(ClockDiscipline, LearnsTheCounterRateAndConverges) {
    constexpr int64_t kRatePpb = 300'000;
    auto reference = [](uint64_t uptime) {
        return kEpoch + ns(uptime) +
               static_cast<int64_t>(static_cast<__int128>(uptime) * kRatePpb / 1'000'000'000);
    };
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch - ns(700 * kMillisecond));  // RTC read mid-second
    std::srand(7);
    uint64_t at = kBoot + 200 * kMillisecond;
    int64_t worst_late = 0;
    for (int sync = 0; sync < 40; ++sync) {
        int64_t noise = std::rand() % 1'000'001 - 500'000;
        ClockCorrection c = clock.correct(at, reference(at) + noise);
        EXPECT_EQ(c.kind, sync == 0 ? CorrectionKind::Step : CorrectionKind::Slew) << sync;
        uint64_t next = at + 16 * kSecond;
        expect_monotonic(clock, at, next, 3 * kMillisecond + 17);
        if (sync >= 4) {
            int64_t error = clock.unix_ns(next) - reference(next);
            worst_late = std::max(worst_late, std::abs(error));
        }
        at = next;
    }
    EXPECT_NEAR(static_cast<double>(clock.frequency_ppb()), kRatePpb, 10'000);
    EXPECT_LT(worst_late, ns(kMillisecond));
}

TEST(ClockDiscipline, ImplausibleRateIsIgnored) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    clock.correct(kBoot, kEpoch);
    // 20 s later the reference says 0.5 s more went by (2.5 %): slewed, but no rate learnt.
    uint64_t at = kBoot + 20 * kSecond;
    ClockCorrection c = clock.correct(at, kEpoch + ns(20 * kSecond + 500 * kMillisecond));
    EXPECT_EQ(c.kind, CorrectionKind::Slew);
    EXPECT_EQ(c.frequency_ppb, 0);
}

TEST(ClockDiscipline, RateNeedsTheSamplesToSpanLongEnough) {
    ClockDiscipline clock;
    clock.set(kBoot, kEpoch);
    clock.correct(kBoot, kEpoch);
    uint64_t at = kBoot + 2 * kSecond;
    ClockCorrection c = clock.correct(at, kEpoch + ns(2 * kSecond) + 100'000);
    EXPECT_EQ(c.frequency_ppb, 0);  // 50 ppm over 2 s is noise as much as rate
    at = kBoot + 20 * kSecond;
    c = clock.correct(at, kEpoch + ns(20 * kSecond) + 1'000'000);
    EXPECT_NEAR(static_cast<double>(c.frequency_ppb), 50'000, 1'000);
}

}  // namespace
}  // namespace coronet
