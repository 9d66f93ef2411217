// Connection buffers. The input buffer is a pooled buffer until a message outgrows it, then a
// malloc'd one of up to max_input; either way it goes back once everything in it is consumed
// and the connection waits again.
#include "net/buffered_stream.hpp"

#include <cstdlib>
#include <cstring>

namespace coronet::net {
namespace {

constexpr size_t kLingerBuffer = 512;

BufferPool g_buffers(kConnectionBufferSize, kConnectionBufferCache);
uint64_t g_large_bytes = 0;
uint64_t g_large_refused = 0;

}  // namespace

ConnectionBufferStats connection_buffer_stats() {
    BufferPool::Stats pool = g_buffers.stats();
    return {.buffer_size = g_buffers.buffer_size(),
            .pooled = pool.in_use,
            .cached = pool.cached,
            .peak_pooled = pool.peak_in_use,
            .large_bytes = g_large_bytes,
            .refused = pool.refused + g_large_refused,
            .bytes_held = pool.in_use * g_buffers.buffer_size() + g_large_bytes};
}

BufferedStream::BufferedStream(TcpStream& stream, const BufferedStreamOptions& options)
    : m_stream(stream), m_options(options), m_output(*this, g_buffers) {}

BufferedStream::~BufferedStream() { release_input(); }

void BufferedStream::release_input() {
    if (m_input) {
        if (m_capacity == g_buffers.buffer_size()) {
            g_buffers.give(m_input);
        } else {
            free(m_input);
            g_large_bytes -= m_capacity;
        }
    }
    m_input = nullptr;
    m_capacity = m_start = m_end = 0;
}

void BufferedStream::consume(size_t length) {
    m_start += length < m_end - m_start ? length : m_end - m_start;
    if (m_start == m_end) m_start = m_end = 0;  // empty: the next fill starts at the front
}

void BufferedStream::truncate(size_t length) {
    if (length < m_end - m_start) m_end = m_start + length;
}

Result<void> BufferedStream::make_room() {
    if (!m_input) {
        m_input = g_buffers.take();
        if (!m_input) return Error::OutOfMemory;
        m_capacity = g_buffers.buffer_size();
        return {};
    }
    if (m_start > 0) {  // compaction happens here, when room runs out, not after every message
        std::memmove(m_input, m_input + m_start, m_end - m_start);
        m_end -= m_start;
        m_start = 0;
        return {};
    }
    size_t limit = m_options.max_input > g_buffers.buffer_size() ? m_options.max_input
                                                                 : g_buffers.buffer_size();
    if (m_capacity >= limit) return Error::LimitReached;
    size_t grown = m_capacity * 2 < limit ? m_capacity * 2 : limit;
    auto* bigger = static_cast<char*>(malloc(grown));
    if (!bigger) {
        ++g_large_refused;
        return Error::OutOfMemory;
    }
    std::memcpy(bigger, m_input, m_end);
    size_t used = m_end;
    release_input();
    m_input = bigger;
    m_capacity = grown;
    m_end = used;
    g_large_bytes += grown;
    return {};
}

Result<size_t> BufferedStream::fill(sched::Deadline deadline, Room room, Reclaim reclaim) {
    TRY_VOID(m_output.flush());
    return receive(deadline, room, reclaim);
}

Result<size_t> BufferedStream::receive(sched::Deadline deadline, Room room, Reclaim reclaim) {
    if (m_start == m_end && m_input) release_input();
    if (!m_input) {
        TRY_VOID(wait_idle(deadline, reclaim));
        m_input = g_buffers.take();
        if (!m_input) return Error::OutOfMemory;
        m_capacity = g_buffers.buffer_size();
    } else if (m_end == m_capacity) {
        if (room == Room::InPlace) return Error::LimitReached;
        TRY_VOID(make_room());
    }
    if (reclaim != Reclaim::Never) TRY_VOID(m_stream.wait_readable(deadline, reclaim));
    size_t n = TRY(m_stream.read(m_input + m_end, m_capacity - m_end, deadline));
    m_end += n;
    return n;
}

Result<void> BufferedStream::wait_idle(sched::Deadline deadline, Reclaim reclaim) {
    sched::Deadline trim_at = sched::now() + kIdleStackTrimAfter;
    if (trim_at < deadline) {
        auto waited = m_stream.wait_readable(trim_at, reclaim);
        if (waited || waited.error() != Error::Timeout) return waited;
        sched::trim_stack_when_blocked();
    }
    return m_stream.wait_readable(deadline, reclaim);
}

// The send time-out bounds each wait for the peer to take more, not the whole write: a large
// body to a slow but live client goes on for as long as the client keeps taking bytes.
Result<void> BufferedStream::write_all(const void* data, size_t length) {
    auto* bytes = static_cast<const uint8_t*>(data);
    while (length) {
        size_t n = TRY(m_stream.write(bytes, length, sched::now() + m_options.send_timeout_ns));
        bytes += n;
        length -= n;
    }
    return {};
}

void BufferedStream::close_gracefully() {
    release_input();
    if (!m_output.flush() || !m_stream.shutdown()) {
        m_stream.abort();
        return;
    }
    char sink[kLingerBuffer];
    sched::Deadline deadline = sched::now() + m_options.linger_ns;
    for (;;) {
        auto n = m_stream.read(sink, sizeof sink, deadline);
        if (!n || *n == 0) break;
    }
    m_stream.close();
}

void BufferedStream::abort() {
    release_input();
    m_stream.abort();
}

}  // namespace coronet::net
