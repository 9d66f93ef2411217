// The third-party libraries the WebSocket server builds on, freestanding in the image: mbedTLS's
// SHA-1 and base64 (the handshake) and zlib's raw deflate/inflate (permessage-deflate).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <zlib.h>

#include "tests/kernel/ktest.hpp"

using namespace coronet;

namespace {

constexpr size_t kSha1Bytes = 20;

// RFC 6455 section 1.3: the server's answer to the sample client key.
constexpr char kSampleKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char kWebSocketGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr char kSampleAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// The WebSocket handshake's arithmetic, with the known answers of FIPS 180-2 and RFC 6455.
void check_sha1_and_base64() {
    // FIPS 180-2 appendix A.1: SHA-1("abc").
    constexpr uint8_t kAbcDigest[kSha1Bytes] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
                                                0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
                                                0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    uint8_t digest[kSha1Bytes];
    KCHECK(mbedtls_sha1(reinterpret_cast<const unsigned char*>("abc"), 3, digest) == 0);
    KCHECK(std::memcmp(digest, kAbcDigest, kSha1Bytes) == 0);

    // Sec-WebSocket-Accept = base64(SHA-1(key + GUID)).
    char key_and_guid[sizeof kSampleKey + sizeof kWebSocketGuid];
    snprintf(key_and_guid, sizeof key_and_guid, "%s%s", kSampleKey, kWebSocketGuid);
    KCHECK(mbedtls_sha1(reinterpret_cast<const unsigned char*>(key_and_guid),
                        std::strlen(key_and_guid), digest) == 0);
    unsigned char accept[32];
    size_t accept_length = 0;
    KCHECK(mbedtls_base64_encode(accept, sizeof accept, &accept_length, digest, kSha1Bytes) == 0);
    KCHECK(accept_length == std::strlen(kSampleAccept));
    KCHECK(std::memcmp(accept, kSampleAccept, std::strlen(kSampleAccept)) == 0);
    // Too small a buffer is an error (it needs room for a terminating NUL too), not an overrun.
    KCHECK(mbedtls_base64_encode(accept, accept_length, &accept_length, digest, kSha1Bytes) ==
           MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL);
}

// zlib built with Z_SOLO has no allocator of its own: every byte comes through these.
struct AllocationCounts {
    int allocations = 0;
    int frees = 0;
};

voidpf counted_alloc(voidpf opaque, uInt items, uInt size) {
    ++static_cast<AllocationCounts*>(opaque)->allocations;
    return malloc(static_cast<size_t>(items) * size);
}

void counted_free(voidpf opaque, voidpf address) {
    ++static_cast<AllocationCounts*>(opaque)->frees;
    free(address);
}

constexpr int kRawDeflateWindowBits = -15;  // negative: raw deflate, no zlib header or trailer
constexpr int kMemLevel = 8;
constexpr uint8_t kSyncFlushTail[] = {0x00, 0x00, 0xff, 0xff};  // RFC 7692 section 7.2.1

constexpr size_t kTextBytes = 6 * 1024;
constexpr size_t kCompressedCapacity = kTextBytes + 256;
char g_text[kTextBytes];
uint8_t g_compressed[kCompressedCapacity];
char g_inflated[kTextBytes];

size_t fill_text(unsigned seed) {
    size_t length = 0;
    for (unsigned line = 0; length + 100 < kTextBytes; ++line) {
        length += static_cast<size_t>(snprintf(
            g_text + length, kTextBytes - length,
            "%u.%04u: a message of the WebSocket text kind, compressed per frame\n", seed, line));
    }
    return length;
}

// One message through both streams as permessage-deflate sends it; false when a step failed.
bool round_trip(z_stream& deflater, z_stream& inflater, size_t length) {
    int failures_before = ktest::failures();
    deflater.next_in = reinterpret_cast<Bytef*>(g_text);
    deflater.avail_in = static_cast<uInt>(length);
    deflater.next_out = g_compressed;
    deflater.avail_out = kCompressedCapacity;
    KCHECK(deflate(&deflater, Z_SYNC_FLUSH) == Z_OK);
    KCHECK(deflater.avail_in == 0 && deflater.avail_out > 0);  // all of it, all flushed out
    size_t compressed = kCompressedCapacity - deflater.avail_out;
    KCHECK(compressed < length / 4);  // repetitive text: it did compress
    KCHECK(compressed > sizeof kSyncFlushTail &&
           std::memcmp(g_compressed + compressed - sizeof kSyncFlushTail, kSyncFlushTail,
                       sizeof kSyncFlushTail) == 0);

    std::memset(g_inflated, 0, sizeof g_inflated);
    inflater.next_in = g_compressed;
    inflater.avail_in = static_cast<uInt>(compressed);
    inflater.next_out = reinterpret_cast<Bytef*>(g_inflated);
    inflater.avail_out = sizeof g_inflated;
    KCHECK(inflate(&inflater, Z_SYNC_FLUSH) == Z_OK);  // no final block: never Z_STREAM_END
    KCHECK(inflater.avail_in == 0);
    size_t inflated = sizeof g_inflated - inflater.avail_out;
    KCHECK(inflated == length && std::memcmp(g_inflated, g_text, length) == 0);
    return ktest::failures() == failures_before;
}

z_stream stream_allocating_through(AllocationCounts& counts) {
    z_stream stream{};
    stream.zalloc = counted_alloc;
    stream.zfree = counted_free;
    stream.opaque = &counts;
    return stream;
}

// A few KiB of text through raw deflate and back, twice, the streams reset in between.
void check_raw_deflate() {
    AllocationCounts counts;
    z_stream deflater = stream_allocating_through(counts);
    z_stream inflater = stream_allocating_through(counts);
    KCHECK(deflateInit2(&deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kRawDeflateWindowBits,
                        kMemLevel, Z_DEFAULT_STRATEGY) == Z_OK);
    KCHECK(inflateInit2(&inflater, kRawDeflateWindowBits) == Z_OK);
    KCHECK(counts.allocations > 0);

    if (round_trip(deflater, inflater, fill_text(1))) {
        // No context takeover: each message starts from fresh streams.
        KCHECK(deflateReset(&deflater) == Z_OK);
        KCHECK(inflateReset(&inflater) == Z_OK);
        round_trip(deflater, inflater, fill_text(2));
    }

    // permessage-deflate never sends Z_FINISH, so zlib calls the end "premature" (Z_DATA_ERROR);
    // the memory goes back all the same.
    KCHECK(deflateEnd(&deflater) == Z_DATA_ERROR);
    KCHECK(inflateEnd(&inflater) == Z_OK);
    KCHECK(counts.frees == counts.allocations);
}

}  // namespace

KTEST(libraries, "mbedTLS SHA-1 and base64, zlib raw deflate/inflate through our allocator") {
    check_sha1_and_base64();
    check_raw_deflate();
}
