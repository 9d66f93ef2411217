// The test's bookkeeping: admission, stream directions, counts, limits, pace, result times.
#include "apps/iperf3/session.hpp"

#include <cstring>

namespace coronet::iperf3 {
namespace {

constexpr uint64_t kBitsPerByte = 8;

}  // namespace

const char* phase_name(Phase phase) {
    switch (phase) {
    case Phase::Parameters: return "parameters";
    case Phase::Streams: return "streams";
    case Phase::Running: return "running";
    case Phase::Results: return "results";
    case Phase::Finished: return "finished";
    }
    return "unknown";
}

bool reads_cookie(const Session* session) { return !session || session->phase() == Phase::Streams; }

Admission admit(const Session* session, std::string_view cookie) {
    if (!session) return Admission::Control;
    bool wanted = session->phase() == Phase::Streams && !session->all_attached() &&
                  cookie == session->cookie();
    return wanted ? Admission::Stream : Admission::Denied;
}

Session::Session(std::string_view cookie) {
    size_t n = cookie.size() < sizeof m_cookie ? cookie.size() : sizeof m_cookie;
    std::memcpy(m_cookie, cookie.data(), n);
}

void Session::configure(const TestParameters& parameters) {
    m_parameters = parameters;
    m_phase = Phase::Streams;
}

std::optional<size_t> Session::attach(std::string_view cookie) {
    if (admit(this, cookie) != Admission::Stream) return std::nullopt;
    return m_attached++;
}

bool Session::server_sends(size_t index) const {
    switch (m_parameters.direction) {
    case Direction::ToServer: return false;
    case Direction::ToClient: return true;
    case Direction::Both: return index >= m_parameters.parallel;
    }
    return false;
}

void Session::start(uint64_t now_ns) {
    m_phase = Phase::Running;
    m_start_ns = m_measure_from_ns = now_ns;
    m_omit_pending = m_parameters.omit_s > 0;
}

void Session::omit_over(uint64_t now_ns) {
    if (!m_omit_pending) return;
    m_omit_pending = false;
    m_measure_from_ns = now_ns;
    for (size_t i = 0; i < m_attached; ++i) m_streams[i].omitted = m_streams[i].bytes;
}

void Session::count(size_t index, uint64_t bytes) {
    if (m_phase != Phase::Running || index >= m_attached) return;
    m_streams[index].bytes += bytes;
    (server_sends(index) ? m_sent : m_received) += bytes;
}

void Session::count_block() {
    if (m_phase == Phase::Running) ++m_blocks_sent;
}

bool Session::may_send_block() const {
    if (m_phase != Phase::Running) return false;
    if (m_parameters.bytes != 0 && m_sent >= m_parameters.bytes) return false;
    if (m_parameters.blocks != 0 && m_blocks_sent >= m_parameters.blocks) return false;
    return true;
}

uint64_t Session::send_due(size_t index) const {
    uint64_t rate = m_parameters.rate_bps;
    if (rate == 0 || index >= m_attached) return 0;
    // bits / rate seconds, in whole seconds and the rest in microseconds (no overflow below
    // 2^64 / 10^6 bits a second).
    uint64_t bits = m_streams[index].bytes * kBitsPerByte;
    uint64_t seconds = bits / rate;
    uint64_t rest_us = (bits % rate) * (kSecond / kMicrosecond) / rate;
    return m_start_ns + s_to_ns(seconds) + us_to_ns(rest_us);
}

void Session::end(uint64_t now_ns) {
    if (m_phase != Phase::Running) return;
    m_phase = Phase::Results;
    m_end_ns = now_ns;
}

uint64_t Session::measured_ns() const {
    return m_end_ns > m_measure_from_ns ? m_end_ns - m_measure_from_ns : 0;
}

uint64_t Session::measured_bytes() const {
    uint64_t total = 0;
    for (size_t i = 0; i < m_attached; ++i) total += m_streams[i].bytes - m_streams[i].omitted;
    return total;
}

size_t Session::results(StreamResult* out, size_t capacity) const {
    size_t n = m_attached < capacity ? m_attached : capacity;
    for (size_t i = 0; i < n; ++i) {
        out[i] = {.id = stream_id(i),
                  .sender = server_sends(i),
                  .bytes = m_streams[i].bytes - m_streams[i].omitted,
                  .duration_us = ns_to_us(measured_ns())};
    }
    return n;
}

}  // namespace coronet::iperf3
