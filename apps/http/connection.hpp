// One client connection of the HTTP server, served by its own coroutine: read a request head,
// its body, dispatch to the router, write the response; repeat while keep-alive holds.
// Pipelined requests are answered in order and their responses leave in one write.
#pragma once

#include <cstddef>
#include <cstdint>

#include "apps/http/output.hpp"
#include "apps/http/parser.hpp"
#include "apps/http/request.hpp"
#include "apps/http/server.hpp"
#include "net/tcp.hpp"

namespace coronet::http {

inline constexpr size_t kInitialInputBuffer = 4 * 1024;  // grows for bigger heads, up to the limit
inline constexpr size_t kOutputBuffer = 4 * 1024;

class Connection final : public Sink {
public:
    Connection(Server& server, net::TcpStream&& stream);
    ~Connection();

    // Serves requests until the connection ends; closes it.
    void run();
    // Refuses the connection with a reset (when no coroutine can be had for it).
    void refuse() { m_stream.abort(); }

    Result<void> write_all(const void* data, size_t length) override;

private:
    enum class Outcome : uint8_t { Next, Close, Abort };

    Outcome serve_one();
    // Reads more bytes into the input buffer after m_end; false at end of stream, timeout
    // (`timed_out`) or error.
    bool fill(sched::Deadline deadline, bool& timed_out);
    bool ensure_room();
    Outcome read_body(const Request& request, size_t& consumed);
    Outcome dispatch(const Request& request);
    // Answers with an error status and closes (after the response is sent).
    Outcome fail(uint16_t status, const char* detail);
    void count_response(uint16_t status);
    void close_gracefully();

    Server& m_server;
    net::TcpStream m_stream;
    char* m_input = nullptr;
    size_t m_capacity = 0;
    size_t m_start = 0;  // the current request's first byte
    size_t m_end = 0;    // end of received bytes
    char* m_body = nullptr;
    size_t m_body_capacity = 0;
    size_t m_body_length = 0;
    char m_output_buffer[kOutputBuffer];
    Output m_output;
    HeadParser m_parser;
    Request m_request;
};

}  // namespace coronet::http
