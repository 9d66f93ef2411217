// zlib glue for permessage-deflate: streams allocated through a counting allocator, messages
// compressed with Z_SYNC_FLUSH (which ends them with the 00 00 ff ff that RFC 7692 strips) and
// inflated with that tail restored, output bounded by the message size limit.
#include "apps/websocket/deflate.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "zlib.h"

namespace coronet::websocket {
namespace {

// Fastest level: most of a chat or JSON stream's gain comes from the window, not the search.
constexpr int kCompressionLevel = 1;
// zlib's raw deflate takes windows of 9..15 bits; an 8-bit window is inflated with 9.
constexpr uint8_t kZlibMinWindowBits = 9;
constexpr unsigned char kSyncTail[4] = {0x00, 0x00, 0xff, 0xff};
constexpr size_t kInflateStep = 16 * 1024;  // output room added per round while inflating
// zlib's own state structs beside the window and hash tables (sizeof deflate_state and
// inflate_state on 64-bit, rounded up).
constexpr uint64_t kDeflateStateOverhead = 6 * 1024;
constexpr uint64_t kInflateStateOverhead = 7 * 1024 + 512;

// A smaller hash for a smaller window: zlib's memLevel 8 (its default) at 15 bits, one less per
// bit below, never under 1.
int mem_level(uint8_t window_bits) {
    int level = static_cast<int>(window_bits) - 7;
    return level < 1 ? 1 : (level > 8 ? 8 : level);
}

uint8_t zlib_window(uint8_t window_bits) {
    return window_bits < kZlibMinWindowBits ? kZlibMinWindowBits : window_bits;
}

// Each block remembers its size so that the endpoint's count goes down when zlib frees it.
struct alignas(16) BlockHeader {
    size_t size;
};

voidpf counted_alloc(voidpf opaque, uInt items, uInt size) {
    auto* memory = static_cast<CompressionMemory*>(opaque);
    size_t bytes = static_cast<size_t>(items) * size;
    auto* block = static_cast<BlockHeader*>(malloc(sizeof(BlockHeader) + bytes));
    if (!block) {
        ++memory->refused;
        return Z_NULL;
    }
    block->size = bytes;
    memory->used += bytes;
    if (memory->used > memory->peak) memory->peak = memory->used;
    return block + 1;
}

void counted_free(voidpf opaque, voidpf address) {
    if (!address) return;
    auto* memory = static_cast<CompressionMemory*>(opaque);
    BlockHeader* block = static_cast<BlockHeader*>(address) - 1;
    memory->used -= block->size;
    free(block);
}

z_stream* new_stream(CompressionMemory& memory) {
    auto* stream = new (std::nothrow) z_stream{};
    if (!stream) {
        ++memory.refused;
        return nullptr;
    }
    stream->zalloc = counted_alloc;
    stream->zfree = counted_free;
    stream->opaque = &memory;
    return stream;
}

}  // namespace

uint64_t deflate_state_bytes(uint8_t window_bits) {
    uint8_t bits = zlib_window(window_bits);
    return (1ULL << (bits + 2)) + (1ULL << (mem_level(bits) + 9)) + kDeflateStateOverhead;
}

uint64_t inflate_state_bytes(uint8_t window_bits) {
    return (1ULL << zlib_window(window_bits)) + kInflateStateOverhead;
}

Result<void> Deflater::compress(std::string_view message, uint8_t window_bits, bool keep_context,
                                ByteBuffer& out, Pause pause) {
    if (window_bits < kZlibMinWindowBits) return Error::Unsupported;  // send it uncompressed
    if (m_stream && m_window_bits != window_bits) release();
    if (!m_stream) {
        m_stream = new_stream(m_memory);
        if (!m_stream) return Error::OutOfMemory;
        if (deflateInit2(m_stream, kCompressionLevel, Z_DEFLATED, -window_bits,
                         mem_level(window_bits), Z_DEFAULT_STRATEGY) != Z_OK) {
            delete m_stream;
            m_stream = nullptr;
            return Error::OutOfMemory;
        }
        m_window_bits = window_bits;
    }
    out.clear();
    // deflateBound covers a finished stream; a sync flush adds at most its empty stored block.
    size_t bound = deflateBound(m_stream, static_cast<uLong>(message.size())) + 16;
    if (!out.reserve(bound)) return Error::OutOfMemory;
    m_stream->next_out = reinterpret_cast<Bytef*>(out.data());
    m_stream->avail_out = static_cast<uInt>(out.capacity());
    // Slice by slice, the last one with the sync flush that ends the message.
    size_t at = 0;
    do {
        size_t slice = message.size() - at < kDeflateSlice ? message.size() - at : kDeflateSlice;
        bool last = at + slice == message.size();
        m_stream->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data() + at));
        m_stream->avail_in = static_cast<uInt>(slice);
        int rc = deflate(m_stream, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || m_stream->avail_in != 0 ||
            m_stream->avail_out == 0) {
            release();
            return Error::OutOfMemory;  // the bound was wrong or zlib failed: nothing usable
        }
        at += slice;
        if (!last && pause) pause();
    } while (at < message.size());
    size_t length = out.capacity() - m_stream->avail_out;
    out.grow_into_capacity(length);
    if (length >= sizeof kSyncTail &&
        std::memcmp(out.data() + length - sizeof kSyncTail, kSyncTail, sizeof kSyncTail) == 0) {
        out.clear();
        out.grow_into_capacity(length - sizeof kSyncTail);
    }
    if (!keep_context) deflateReset(m_stream);
    return {};
}

void Deflater::forget_context() {
    if (m_stream) deflateReset(m_stream);
}

void Deflater::release() {
    if (!m_stream) return;
    deflateEnd(m_stream);
    delete m_stream;
    m_stream = nullptr;
}

Result<void> Inflater::inflate(std::string_view piece, bool last, uint8_t window_bits,
                               uint64_t limit, ByteBuffer& out, Pause pause) {
    uint8_t bits = zlib_window(window_bits);
    if (m_stream && m_window_bits != bits) release();
    if (!m_stream) {
        m_stream = new_stream(m_memory);
        if (!m_stream) return Error::OutOfMemory;
        if (inflateInit2(m_stream, -bits) != Z_OK) {
            delete m_stream;
            m_stream = nullptr;
            return Error::OutOfMemory;
        }
        m_window_bits = bits;
    }
    TRY_VOID(
        run(reinterpret_cast<const unsigned char*>(piece.data()), piece.size(), limit, out, pause));
    if (last) TRY_VOID(run(kSyncTail, sizeof kSyncTail, limit, out, pause));
    return {};
}

Result<void> Inflater::run(const unsigned char* input, size_t size, uint64_t limit, ByteBuffer& out,
                           Pause pause) {
    size_t since_pause = 0;
    m_stream->next_in = const_cast<Bytef*>(input);
    m_stream->avail_in = static_cast<uInt>(size);
    // Each round consumes input or produces output (or returns): bounded by both.
    for (;;) {
        uInt before_in = m_stream->avail_in;
        int rc;
        size_t produced = 0;
        if (out.size() >= limit) {
            // Full: fine only if zlib has nothing more to give (checked with one byte).
            unsigned char probe;
            m_stream->next_out = &probe;
            m_stream->avail_out = 1;
            rc = ::inflate(m_stream, Z_SYNC_FLUSH);
            if (m_stream->avail_out == 0) return Error::LimitReached;
        } else {
            if (out.spare_size() == 0) {
                uint64_t room = limit - out.size();
                size_t step = room < kInflateStep ? static_cast<size_t>(room) : kInflateStep;
                if (!out.reserve(out.size() + step)) return Error::OutOfMemory;
            }
            uint64_t spare = out.spare_size();
            if (spare > limit - out.size()) spare = limit - out.size();
            m_stream->next_out = reinterpret_cast<Bytef*>(out.spare());
            m_stream->avail_out = static_cast<uInt>(spare);
            rc = ::inflate(m_stream, Z_SYNC_FLUSH);
            produced = spare - m_stream->avail_out;
            out.grow_into_capacity(produced);
            since_pause += produced;
            if (pause && since_pause >= kDeflateSlice) {
                pause();  // the stream's input and output pointers stay valid meanwhile
                since_pause = 0;
            }
        }
        switch (rc) {
        case Z_OK:
        case Z_BUF_ERROR:  // no progress possible: input used up, or output full
            break;
        case Z_STREAM_END:
            // A block marked final: the peer's stream starts afresh with its next message.
            inflateReset(m_stream);
            return {};
        case Z_MEM_ERROR: return Error::OutOfMemory;
        default: return Error::Malformed;
        }
        if (m_stream->avail_in == 0 && m_stream->avail_out != 0) return {};
        if (produced == 0 && m_stream->avail_in == before_in && m_stream->avail_out != 0)
            return Error::Malformed;  // stuck with room to write: cannot happen with valid data
    }
}

void Inflater::end_message(bool keep_context) {
    if (!keep_context) release();
}

void Inflater::release() {
    if (!m_stream) return;
    inflateEnd(m_stream);
    delete m_stream;
    m_stream = nullptr;
}

}  // namespace coronet::websocket
