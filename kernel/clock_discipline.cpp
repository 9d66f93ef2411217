// The wall clock's mapping from uptime and its corrections. Products of durations and rates
// are taken in 128 bits; every reading is a floor, so a positive rate never makes it go back.
#include "kernel/clock_discipline.hpp"

namespace coronet {
namespace {

using Wide = __int128;

constexpr int64_t kBillion = 1'000'000'000;

int64_t magnitude(int64_t value) { return value < 0 ? -value : value; }

}  // namespace

int64_t ClockDiscipline::advance(uint64_t elapsed_ns, int64_t rate_ppb) {
    return static_cast<int64_t>(Wide{elapsed_ns} * (kBillion + rate_ppb) / kBillion);
}

void ClockDiscipline::set(uint64_t uptime_ns, int64_t unix_ns) {
    *this = ClockDiscipline{};
    m_anchor_uptime = uptime_ns;
    m_anchor_unix = unix_ns;
}

int64_t ClockDiscipline::unix_ns(uint64_t uptime_ns) const {
    uint64_t elapsed = uptime_ns > m_anchor_uptime ? uptime_ns - m_anchor_uptime : 0;
    int64_t slewing = m_frequency_ppb + m_slew_ppb;
    if (elapsed < m_slew_ns) return m_anchor_unix + advance(elapsed, slewing);
    return m_anchor_unix + advance(m_slew_ns, slewing) +
           advance(elapsed - m_slew_ns, m_frequency_ppb);
}

int64_t ClockDiscipline::slew_remaining_ns(uint64_t uptime_ns) const {
    uint64_t elapsed = uptime_ns > m_anchor_uptime ? uptime_ns - m_anchor_uptime : 0;
    if (elapsed >= m_slew_ns) return 0;
    return static_cast<int64_t>(Wide{m_slew_amount} * static_cast<int64_t>(m_slew_ns - elapsed) /
                                static_cast<int64_t>(m_slew_ns));
}

ClockCorrection ClockDiscipline::correct(uint64_t uptime_ns, int64_t true_unix_ns) {
    int64_t reading = unix_ns(uptime_ns);
    int64_t offset = true_unix_ns - reading;
    bool step = m_corrections == 0 || magnitude(offset) > kStepThresholdNs;
    // A reference that jumped disagrees with the samples taken before: the rate is fitted
    // afresh (keeping the current estimate until then).
    if (step) m_sample_count = m_next_sample = 0;
    add_sample(uptime_ns, true_unix_ns);
    if (int64_t frequency; estimate_frequency(frequency)) m_frequency_ppb = frequency;

    m_anchor_uptime = uptime_ns;
    m_slew_ppb = 0;
    m_slew_ns = 0;
    m_slew_amount = 0;
    ++m_corrections;
    if (step) {
        m_anchor_unix = true_unix_ns;
        return {CorrectionKind::Step, offset, m_frequency_ppb, 0};
    }
    // Carry on from the reading (continuous), running fast or slow until the offset is gone.
    m_anchor_unix = reading;
    if (offset != 0) {
        Wide amount = magnitude(offset);
        Wide rate = amount * kBillion / kSlewPeriodNs;
        if (rate < 1) rate = 1;
        if (rate > kMaxSlewPpb) rate = kMaxSlewPpb;
        m_slew_ppb = static_cast<int64_t>(offset < 0 ? -rate : rate);
        m_slew_ns = static_cast<uint64_t>((amount * kBillion + rate - 1) / rate);
        m_slew_amount =
            advance(m_slew_ns, m_frequency_ppb + m_slew_ppb) - advance(m_slew_ns, m_frequency_ppb);
    }
    return {CorrectionKind::Slew, offset, m_frequency_ppb, m_slew_ns};
}

void ClockDiscipline::add_sample(uint64_t uptime_ns, int64_t true_unix_ns) {
    m_samples[m_next_sample] = {uptime_ns, true_unix_ns - static_cast<int64_t>(uptime_ns)};
    m_next_sample = (m_next_sample + 1) % kRateSamples;
    if (m_sample_count < kRateSamples) ++m_sample_count;
}

// Least squares of (true time - uptime) against uptime: the slope is the counter's rate error.
// Uptime in microseconds relative to the oldest sample keeps every sum well inside 128 bits
// (for spans of centuries); the offsets stay in nanoseconds.
bool ClockDiscipline::estimate_frequency(int64_t& frequency_ppb) const {
    if (m_sample_count < 2) return false;
    const Sample& oldest = m_sample_count < kRateSamples ? m_samples[0] : m_samples[m_next_sample];
    uint64_t newest_uptime = 0;
    Wide n = static_cast<Wide>(m_sample_count), sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < m_sample_count; ++i) {
        const Sample& s = m_samples[i];
        if (s.uptime_ns > newest_uptime) newest_uptime = s.uptime_ns;
        Wide x =
            static_cast<Wide>(s.uptime_ns - oldest.uptime_ns) / static_cast<Wide>(kMicrosecond);
        Wide y = s.true_minus_uptime_ns - oldest.true_minus_uptime_ns;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    if (newest_uptime - oldest.uptime_ns < kMinRateSpanNs) return false;
    Wide denominator = n * sxx - sx * sx;
    if (denominator <= 0) return false;
    // The slope is in ns per us; ppb is a thousandth of that per ns, i.e. slope * 10^6.
    Wide slope_ppb = (n * sxy - sx * sy) * 1'000'000 / denominator;
    if (slope_ppb > kMaxFrequencyPpb || slope_ppb < -kMaxFrequencyPpb) return false;
    frequency_ppb = static_cast<int64_t>(slope_ppb);
    return true;
}

}  // namespace coronet
