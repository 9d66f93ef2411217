// iperf3's wire pieces: cookie and message framing checked byte by byte, parameters and results
// through the bounded JSON reader and writer.
#include "apps/iperf3/protocol.hpp"

#include "lib/json_reader.hpp"
#include "lib/json_writer.hpp"

namespace coronet::iperf3 {
namespace {

constexpr size_t kCookieCharacters = kCookieSize - 1;
constexpr unsigned kCpuDecimals = 3;   // cpu_percent_milli
constexpr unsigned kTimeDecimals = 6;  // microseconds
// One stream's entry at its longest, with room to spare (every number at 20 digits).
constexpr size_t kStreamResultBytes = 200;
constexpr size_t kResultsOverhead = 256;
constexpr size_t kEscapedByteBytes = 6;  // \u00XX

bool cookie_character(char c) { return c > ' ' && c < 0x7F; }

// A count the parameters may carry: absent leaves `value` as it is.
bool read_count(JsonValue object, std::string_view name, uint64_t& value) {
    JsonValue member = object.get(name);
    if (!member) return true;
    auto count = member.as_uint();
    if (!count) return false;
    value = *count;
    return true;
}

Result<TestParameters> refuse(Refusal& refusal, ClientError code, const char* reason) {
    refusal = {.code = code, .errno_value = 0, .reason = reason};
    return Error::InvalidArgument;
}

}  // namespace

const char* state_name(State state) {
    switch (state) {
    case State::TestStart: return "TEST_START";
    case State::TestRunning: return "TEST_RUNNING";
    case State::TestEnd: return "TEST_END";
    case State::ParamExchange: return "PARAM_EXCHANGE";
    case State::CreateStreams: return "CREATE_STREAMS";
    case State::ServerTerminate: return "SERVER_TERMINATE";
    case State::ClientTerminate: return "CLIENT_TERMINATE";
    case State::ExchangeResults: return "EXCHANGE_RESULTS";
    case State::DisplayResults: return "DISPLAY_RESULTS";
    case State::IperfStart: return "IPERF_START";
    case State::IperfDone: return "IPERF_DONE";
    case State::AccessDenied: return "ACCESS_DENIED";
    case State::ServerError: return "SERVER_ERROR";
    }
    return "unknown";
}

ParseStatus parse_cookie(std::string_view buffer, std::string_view& cookie) {
    size_t seen = buffer.size() < kCookieSize ? buffer.size() : kCookieSize;
    for (size_t i = 0; i < seen; ++i) {
        bool fits = i < kCookieCharacters ? cookie_character(buffer[i]) : buffer[i] == '\0';
        if (!fits) return ParseStatus::Error;
    }
    if (seen < kCookieSize) return ParseStatus::NeedMore;
    cookie = buffer.substr(0, kCookieCharacters);
    return ParseStatus::Done;
}

ParseStatus parse_message(std::string_view buffer, std::string_view& body, size_t max_length) {
    if (buffer.size() < kMessageHeaderSize) return ParseStatus::NeedMore;
    uint32_t length = 0;
    for (size_t i = 0; i < kMessageHeaderSize; ++i)
        length = length << 8 | static_cast<uint8_t>(buffer[i]);
    if (length == 0 || length > max_length) return ParseStatus::Error;
    if (buffer.size() - kMessageHeaderSize < length) return ParseStatus::NeedMore;
    body = buffer.substr(kMessageHeaderSize, length);
    return ParseStatus::Done;
}

void encode_message_header(uint32_t length, char (&header)[kMessageHeaderSize]) {
    for (size_t i = 0; i < kMessageHeaderSize; ++i)
        header[i] = static_cast<char>(length >> (8 * (kMessageHeaderSize - 1 - i)));
}

Result<TestParameters> parse_parameters(std::string_view json, Refusal& refusal) {
    auto parsed = parse_json(json);
    if (!parsed || !parsed->is(JsonType::Object))
        return refuse(refusal, ClientError::ReceiveParameters, "parameters are not a JSON object");
    JsonValue object = *parsed;
    // iperf3 reads a flag from the presence of its member, whatever its value.
    if (object.get("udp"))
        return refuse(refusal, ClientError::NotImplemented, "UDP tests are not supported");
    if (object.get("sctp"))
        return refuse(refusal, ClientError::NotImplemented, "SCTP tests are not supported");
    TestParameters p;
    bool reverse = static_cast<bool>(object.get("reverse"));
    bool both = static_cast<bool>(object.get("bidirectional"));
    if (reverse && both)
        return refuse(refusal, ClientError::ReceiveParameters, "both reverse and bidirectional");
    p.direction = both ? Direction::Both : reverse ? Direction::ToClient : Direction::ToServer;
    uint64_t parallel = p.parallel;
    uint64_t block_size = p.block_size;
    if (!read_count(object, "time", p.duration_s) || !read_count(object, "omit", p.omit_s) ||
        !read_count(object, "num", p.bytes) || !read_count(object, "blockcount", p.blocks) ||
        !read_count(object, "parallel", parallel) || !read_count(object, "len", block_size) ||
        !read_count(object, "bandwidth", p.rate_bps))
        return refuse(refusal, ClientError::ReceiveParameters, "a count that is not a count");
    if (parallel == 0)
        return refuse(refusal, ClientError::ReceiveParameters, "no streams asked for");
    if (parallel > kMaxParallel)
        return refuse(refusal, ClientError::NumStreams, "more parallel streams than 128");
    if (block_size > kMaxBlockSize)
        return refuse(refusal, ClientError::BlockSize, "blocks larger than 1 MiB");
    if (p.duration_s > kMaxDurationSeconds)
        return refuse(refusal, ClientError::Duration, "a test longer than a day");
    if (p.omit_s > kMaxOmitSeconds)
        return refuse(refusal, ClientError::Omit, "more omitted seconds than a day");
    p.parallel = static_cast<uint32_t>(parallel);
    p.block_size = block_size == 0 ? kDefaultBlockSize : block_size;
    p.get_server_output = static_cast<bool>(object.get("get_server_output"));
    return p;
}

Result<ClientResults> parse_client_results(std::string_view json) {
    JsonValue object = TRY(parse_json(json));
    JsonValue streams = object.get("streams");
    if (!streams.is(JsonType::Array)) return Error::Malformed;
    ClientResults results;
    for (JsonValue stream = streams.first(); stream; stream = stream.next()) {
        auto bytes = stream.get("bytes").as_uint();
        if (!bytes) return Error::Malformed;
        ++results.streams;
        results.bytes += *bytes;
    }
    return results;
}

std::string_view write_results(const ServerResults& results, char* buffer, size_t capacity) {
    JsonWriter json(buffer, capacity);
    json.begin_object();
    json.key("cpu_util_total").fixed(results.cpu_percent_milli, kCpuDecimals);
    json.member("cpu_util_user", uint64_t{0});
    json.key("cpu_util_system").fixed(results.cpu_percent_milli, kCpuDecimals);
    // -1: this side only received. 0: it sent, without a retransmission count per stream to
    // report (lwIP keeps none), so the client prints no Retr column.
    json.member("sender_has_retransmits", int64_t{results.sends ? 0 : -1});
    json.key("streams").begin_array();
    for (size_t i = 0; i < results.stream_count; ++i) {
        const StreamResult& s = results.streams[i];
        json.begin_object();
        json.member("id", uint64_t{s.id});
        json.member("bytes", s.bytes);
        json.member("retransmits", int64_t{-1});
        json.member("jitter", uint64_t{0});
        json.member("errors", uint64_t{0});
        json.member("packets", uint64_t{0});
        json.member("start_time", uint64_t{0});
        json.key("end_time").fixed(static_cast<int64_t>(s.duration_us), kTimeDecimals);
        json.end_object();
    }
    json.end_array();
    if (!results.server_output.empty()) json.member("server_output_text", results.server_output);
    json.end_object();
    return json.complete() ? json.text() : std::string_view{};
}

size_t results_capacity(size_t streams, size_t output_bytes) {
    return kResultsOverhead + streams * kStreamResultBytes + output_bytes * kEscapedByteBytes;
}

uint32_t stream_id(size_t index) { return index == 0 ? 1 : static_cast<uint32_t>(index + 2); }

}  // namespace coronet::iperf3
