// How the wall clock follows a time reference: the monotonic uptime mapped onto Unix time,
// stepped by the first measurement and slewed by later ones, with the uptime counter's rate
// error estimated from the measurements. Pure arithmetic on nanoseconds (host-tested).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/time_units.hpp"

namespace coronet {

enum class CorrectionKind : uint8_t { Step, Slew };

struct ClockCorrection {
    CorrectionKind kind;
    int64_t offset_ns;      // the true time minus the clock's reading when it was measured
    int64_t frequency_ppb;  // rate correction in force from now on (+: the counter runs slow)
    uint64_t slew_ns;       // how long the slew takes to work the offset off (0: a step)
};

// The mapping is piecewise linear: from the last correction on, the clock advances at the
// counter's rate times (1 + frequency + slew) until the slew has worked the offset off, then at
// (1 + frequency). Both factors stay positive, so between steps the clock never goes back.
class ClockDiscipline {
public:
    // After the first correction, only an offset this large is stepped: at kMaxSlewPpb a
    // second takes over three minutes to slew away, and it means the reference itself jumped.
    static constexpr int64_t kStepThresholdNs = static_cast<int64_t>(kSecond);
    // A slew aims to be done within this (well before the next measurement, 16 s at the
    // earliest, so that it measures the corrected clock) ...
    static constexpr uint64_t kSlewPeriodNs = 8 * kSecond;
    // ... changing the rate by at most 0.5 %: an interval timed with the wall clock while it
    // slews is that much off at worst.
    static constexpr int64_t kMaxSlewPpb = 5'000'000;
    // A rate error estimated beyond 1 % is a bad estimate, not the counter (calibration is good
    // to 0.5 % at worst): kept out.
    static constexpr int64_t kMaxFrequencyPpb = 10'000'000;
    // Measurements the rate estimate fits a line through, and the least time they must span
    // (with 16 s between the first ones, a millisecond of noise is 60 ppm over one interval).
    static constexpr size_t kRateSamples = 8;
    static constexpr uint64_t kMinRateSpanNs = 10 * kSecond;

    // The clock reads `unix_ns` at `uptime_ns` (the RTC at boot); no correction so far.
    void set(uint64_t uptime_ns, int64_t unix_ns);

    // Unix time at `uptime_ns` (not before the last set() or correct()).
    int64_t unix_ns(uint64_t uptime_ns) const;

    // The reference says it was `true_unix_ns` at `uptime_ns`. The first measurement, and any
    // kStepThresholdNs off, set the clock there (a step, possibly backwards); the others are
    // slewed away. Each refines the rate estimate.
    ClockCorrection correct(uint64_t uptime_ns, int64_t true_unix_ns);

    bool corrected() const { return m_corrections > 0; }
    int64_t frequency_ppb() const { return m_frequency_ppb; }
    // What the slew in progress has yet to work off at `uptime_ns` (0 when none).
    int64_t slew_remaining_ns(uint64_t uptime_ns) const;

private:
    struct Sample {
        uint64_t uptime_ns;
        int64_t true_minus_uptime_ns;
    };

    void add_sample(uint64_t uptime_ns, int64_t true_unix_ns);
    // The fitted rate error of the counter against the reference; false while the samples
    // span too little time or the fit is implausible.
    bool estimate_frequency(int64_t& frequency_ppb) const;
    // The clock after `elapsed_ns` of uptime at `rate_ppb` above nominal (floor: monotonic).
    static int64_t advance(uint64_t elapsed_ns, int64_t rate_ppb);

    // The segment since the last set() or correct(): it read m_anchor_unix at m_anchor_uptime.
    uint64_t m_anchor_uptime = 0;
    int64_t m_anchor_unix = 0;
    int64_t m_frequency_ppb = 0;
    int64_t m_slew_ppb = 0;     // signed; 0 when not slewing
    uint64_t m_slew_ns = 0;     // how long the slew lasts from the anchor
    int64_t m_slew_amount = 0;  // what it adds over that time (signed)
    uint64_t m_corrections = 0;

    Sample m_samples[kRateSamples]{};
    size_t m_sample_count = 0;
    size_t m_next_sample = 0;  // where the next one goes (a ring once full)
};

}  // namespace coronet
