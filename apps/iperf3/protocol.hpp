// The iperf3 protocol as its 3.x client speaks it, pure code: the cookie every connection opens
// with, the one-byte states of the control connection, its JSON messages (a 4-byte big-endian
// length, then the text), the test parameters a client sends and the results a server returns.
// Limits are iperf3's own where it has them (streams, block size, duration).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/result.hpp"

namespace coronet::iperf3 {

inline constexpr uint16_t kDefaultPort = 5201;
inline constexpr size_t kCookieSize = 37;        // 36 printable characters, then a NUL
inline constexpr size_t kMessageHeaderSize = 4;  // the length before a JSON message
// A JSON message declaring more is refused before it is read: parameters are a few hundred
// bytes, the client's results about 150 bytes a stream (kMaxStreams of them).
inline constexpr size_t kMaxMessageBytes = 64 * 1024;
inline constexpr uint32_t kMaxParallel = 128;                     // -P, iperf3's MAX_STREAMS
inline constexpr size_t kMaxStreams = 2 * kMaxParallel;           // --bidir: both ways
inline constexpr uint64_t kMaxBlockSize = 1024 * 1024;            // -l, iperf3's MAX_BLOCKSIZE
inline constexpr uint64_t kDefaultBlockSize = 128 * 1024;         // -l for TCP when not given
inline constexpr uint64_t kMaxDurationSeconds = 86400;            // -t, iperf3's MAX_TIME
inline constexpr uint64_t kMaxOmitSeconds = kMaxDurationSeconds;  // -O

// The control connection's states, one signed byte each (iperf_api.h).
enum class State : int8_t {
    TestStart = 1,
    TestRunning = 2,
    TestEnd = 4,
    ParamExchange = 9,
    CreateStreams = 10,
    ServerTerminate = 11,
    ClientTerminate = 12,
    ExchangeResults = 13,
    DisplayResults = 14,
    IperfStart = 15,
    IperfDone = 16,
    AccessDenied = -1,
    ServerError = -2,
};
const char* state_name(State state);

// iperf3's own error numbers (iperf_api.h): after ServerError the server sends one and an
// errno, and the client prints iperf3's message for it.
enum class ClientError : int32_t {
    Duration = 5,             // "test duration too long"
    NumStreams = 6,           // "number of parallel streams too large"
    BlockSize = 7,            // "block size too large"
    Omit = 12,                // "bogus value for --omit"
    NotImplemented = 13,      // "an option you are trying to set is not implemented yet"
    NewTest = 100,            // "unable to create a new test: <errno>"
    ReceiveParameters = 114,  // "unable to receive parameters from client"
};
inline constexpr int32_t kErrnoOutOfMemory = 12;  // ENOMEM as the client's C library knows it

enum class ParseStatus : uint8_t { NeedMore, Done, Error };

// The cookie at the start of `buffer` (every byte received so far on a new connection). Done:
// `cookie` is its 36 characters. Error as soon as a byte cannot belong to one: printable ASCII
// only, then the NUL.
ParseStatus parse_cookie(std::string_view buffer, std::string_view& cookie);

// A JSON message at the start of `buffer`. Done: `body` is its text, and the message is
// kMessageHeaderSize + body.size() bytes. Error once the declared length is over `max_length`
// (or is 0): the rest is not waited for.
ParseStatus parse_message(std::string_view buffer, std::string_view& body,
                          size_t max_length = kMaxMessageBytes);
// The 4-byte header for a message of `length` bytes.
void encode_message_header(uint32_t length, char (&header)[kMessageHeaderSize]);

enum class Protocol : uint8_t { Tcp, Udp, Sctp };
// Who sends: the client (a normal test), the server (-R) or both (--bidir).
enum class Direction : uint8_t { ToServer, ToClient, Both };

struct TestParameters {
    Protocol protocol = Protocol::Tcp;
    Direction direction = Direction::ToServer;
    uint32_t parallel = 1;
    uint64_t duration_s = 10;  // 0 when a byte or block count ends the test
    uint64_t omit_s = 0;       // leading seconds left out of the results
    uint64_t bytes = 0;        // -n: the test ends once this many are sent (0: no limit)
    uint64_t blocks = 0;       // -k: ... or this many blocks
    uint64_t block_size = kDefaultBlockSize;
    uint64_t rate_bps = 0;  // -b: each stream's target, bits a second (0: as fast as it goes)
    bool get_server_output = false;

    size_t stream_count() const { return direction == Direction::Both ? 2 * parallel : parallel; }
};

// Why a test is refused: iperf3's number for it (sent to the client) and a reason for our log.
struct Refusal {
    ClientError code = ClientError::ReceiveParameters;
    int32_t errno_value = 0;
    const char* reason = "";
};

// The client's parameters message. Error: `refusal` says why (not JSON or wrong types, UDP or
// SCTP, a limit passed).
Result<TestParameters> parse_parameters(std::string_view json, Refusal& refusal);

// What the client reports once the test is over, summed over its streams.
struct ClientResults {
    size_t streams = 0;
    uint64_t bytes = 0;
};
Result<ClientResults> parse_client_results(std::string_view json);

// The server's results message: one entry per stream, times in microseconds from the stream's
// start (after any omitted seconds).
struct StreamResult {
    uint32_t id;
    bool sender;
    uint64_t bytes;
    uint64_t duration_us;
};
struct ServerResults {
    uint32_t cpu_percent_milli = 0;  // busy share of the CPU during the test, 1/1000 percent
    bool sends = false;              // the server sent on some stream (else it only received)
    const StreamResult* streams = nullptr;
    size_t stream_count = 0;
    std::string_view server_output;  // --get-server-output: a text summary, or empty
};
// Writes the results' JSON into `buffer`; empty when it does not fit.
std::string_view write_results(const ServerResults& results, char* buffer, size_t capacity);
// Room enough for the results of `streams` streams plus `output_bytes` of server output.
size_t results_capacity(size_t streams, size_t output_bytes);

// iperf3 numbers streams in the order they connect as 1, 3, 4, 5, ... (its own quirk, kept by
// both sides so that results match).
uint32_t stream_id(size_t index);

}  // namespace coronet::iperf3
