// permessage-deflate's compression (RFC 7692 §7.2) over zlib's raw deflate: a message is
// compressed with a sync flush and sent without the final 00 00 ff ff; a received one is
// inflated with that tail put back. zlib's state is allocated through a CompressionMemory, so an
// endpoint knows, and caps, what its connections spend on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/byte_buffer.hpp"
#include "lib/result.hpp"

struct z_stream_s;

namespace coronet::websocket {

// Called between slices of a long compression or inflation so that a 16 MiB message does not
// hold the reactor (the connection passes sched::yield); null: no pauses.
using Pause = void (*)();
inline constexpr size_t kDeflateSlice = 64 * 1024;  // input (or output) bytes between pauses

// zlib state bytes held by one endpoint's connections (and its shared compressor).
struct CompressionMemory {
    uint64_t used = 0;
    uint64_t peak = 0;
    uint64_t refused = 0;  // allocations that failed
};

// What zlib allocates for a stream (zconf.h's formulas, plus its bookkeeping), to decide before
// allocating whether a connection fits the endpoint's budget.
uint64_t deflate_state_bytes(uint8_t window_bits);
uint64_t inflate_state_bytes(uint8_t window_bits);

class Deflater {
public:
    explicit Deflater(CompressionMemory& memory) : m_memory(memory) {}
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;
    ~Deflater() { release(); }

    // Compresses one whole message into `out` (replacing its contents), without the tail.
    // `keep_context`: the next message may refer back to this one (context takeover).
    // OutOfMemory when zlib's state or `out` cannot grow.
    Result<void> compress(std::string_view message, uint8_t window_bits, bool keep_context,
                          ByteBuffer& out, Pause pause = nullptr);
    // The next message starts without references to earlier ones (the peer's window now holds
    // a message this compressor did not make).
    void forget_context();
    // Frees zlib's state (it is made again on the next compress()).
    void release();
    bool holds_state() const { return m_stream != nullptr; }

private:
    CompressionMemory& m_memory;
    z_stream_s* m_stream = nullptr;
    uint8_t m_window_bits = 0;
};

class Inflater {
public:
    explicit Inflater(CompressionMemory& memory) : m_memory(memory) {}
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    ~Inflater() { release(); }

    // Inflates a piece of a compressed message, appending to `out`; `last`: the piece ends the
    // message (the tail is added). LimitReached when `out` would pass `limit`; Malformed for
    // data that is not deflate; OutOfMemory.
    Result<void> inflate(std::string_view piece, bool last, uint8_t window_bits, uint64_t limit,
                         ByteBuffer& out, Pause pause = nullptr);
    // After a message: keep the window for the next (context takeover) or free the state.
    void end_message(bool keep_context);
    void release();
    bool holds_state() const { return m_stream != nullptr; }

private:
    Result<void> run(const unsigned char* input, size_t size, uint64_t limit, ByteBuffer& out,
                     Pause pause);

    CompressionMemory& m_memory;
    z_stream_s* m_stream = nullptr;
    uint8_t m_window_bits = 0;
};

}  // namespace coronet::websocket
