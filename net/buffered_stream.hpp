// A connection's buffers over its TcpStream, shared by every server (HTTP today, WebSocket and
// Redis next): an input buffer that grows up to a limit and is compacted only when it needs
// room, an Output that gathers replies and is flushed before the connection waits, and a
// graceful close with linger. Both buffers come from a pool when there is something to hold
// and go back when the connection goes idle, so an idle connection holds no buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/sched/scheduler.hpp"
#include "lib/buffer_pool.hpp"
#include "lib/output.hpp"
#include "lib/result.hpp"
#include "lib/time_units.hpp"
#include "net/tcp.hpp"

namespace coronet::net {

inline constexpr size_t kConnectionBufferSize = 4 * 1024;  // a pooled input or output buffer
inline constexpr size_t kConnectionBufferCache = 256;      // idle pooled buffers kept for reuse
// A connection waiting this long with no buffer also gives back the stack pages below its
// wait (sched::trim_stack_when_blocked): an idle connection then holds about one page. Not at
// once: a keep-alive connection under load would fault those pages in again on every request.
inline constexpr uint64_t kIdleStackTrimAfter = 1 * kSecond;

struct BufferedStreamOptions {
    // The input buffer grows up to this: LimitReached beyond.
    size_t max_input = kConnectionBufferSize;
    uint64_t send_timeout_ns = 30 * kSecond;  // longest wait for the peer to take output
    uint64_t linger_ns = 2 * kSecond;         // reading what a closed peer still sends, at most
};

class BufferedStream final : public Sink {
public:
    BufferedStream(TcpStream& stream, const BufferedStreamOptions& options);
    BufferedStream(const BufferedStream&) = delete;
    BufferedStream& operator=(const BufferedStream&) = delete;
    ~BufferedStream();

    TcpStream& stream() { return m_stream; }

    // Input: the bytes received and not yet consumed. Views into it stay valid until the next
    // fill() that may move (see Room) or the next consume().
    std::string_view input() const { return {m_input + m_start, m_end - m_start}; }
    // Drops the first `length` bytes of input().
    void consume(size_t length);
    // Keeps only the first `length` bytes of input(), dropping what follows (bytes a decoder
    // has already taken, whose space the next fill() may reuse).
    void truncate(size_t length);

    enum class Room : uint8_t {
        MayMove,  // compact or grow the buffer when it is full
        InPlace,  // input() must not move: LimitReached when there is no room after it
    };
    // Reads more input after input(). Gathered output is flushed first (the connection is
    // about to wait); an empty input gives its buffer back, and the connection waits for data
    // holding none. Returns the bytes read, 0 at end of stream; Timeout at the deadline;
    // LimitReached when input() already fills max_input; OutOfMemory without a buffer.
    // `reclaim`: whether the listener may close the connection while it waits (tcp.hpp).
    // Waiting with no buffer longer than kIdleStackTrimAfter trims the coroutine's stack.
    Result<size_t> fill(sched::Deadline deadline, Room room = Room::MayMove,
                        Reclaim reclaim = Reclaim::Never);
    // fill() without flushing the output first: for a stream whose output another coroutine
    // writes meanwhile (a tunnel's other direction), which only that coroutine may flush.
    Result<size_t> receive(sched::Deadline deadline, Room room = Room::MayMove,
                           Reclaim reclaim = Reclaim::Never);
    // True when fill(InPlace) has room to read into.
    bool room_in_place() const { return m_input && m_end < m_capacity; }
    // Makes room after input() by compacting or growing, which moves input(): LimitReached at
    // max_input, OutOfMemory.
    Result<void> make_room();

    // Output, gathered until flushed (fill() and close_gracefully() flush).
    Output& output() { return m_output; }
    // Sink: straight to the stream, bounded by the send timeout.
    Result<void> write_all(const void* data, size_t length) override;

    // Sends what is gathered and a FIN, then reads and drops what the peer still sends until
    // it closes (bounded by linger): closing with unread data would reset the connection and
    // could destroy the last reply before the peer read it.
    void close_gracefully();
    // Closes with a reset; unsent output is dropped.
    void abort();

    // Input and output buffer bytes this connection holds now.
    size_t bytes_held() const { return (m_input ? m_capacity : 0) + m_output.bytes_held(); }

private:
    void release_input();
    // Waits for input holding no buffer, trimming the stack if the wait is long (fill()).
    Result<void> wait_idle(sched::Deadline deadline, Reclaim reclaim);

    TcpStream& m_stream;
    BufferedStreamOptions m_options;
    char* m_input = nullptr;
    size_t m_capacity = 0;
    size_t m_start = 0;  // first unconsumed byte
    size_t m_end = 0;    // end of received bytes
    Output m_output;
};

// What every BufferedStream together holds, for /status: an idle connection adds nothing.
struct ConnectionBufferStats {
    uint64_t buffer_size;  // a pooled buffer
    uint64_t pooled;       // pooled buffers held by connections
    uint64_t cached;       // pooled buffers kept for reuse, held by no connection
    uint64_t peak_pooled;
    uint64_t large_bytes;  // input buffers grown past the pooled size (big request heads)
    uint64_t refused;      // buffers that could not be had (out of memory)
    uint64_t bytes_held;   // by connections: pooled * buffer_size + large_bytes
};
ConnectionBufferStats connection_buffer_stats();

}  // namespace coronet::net
