// One client connection of the HTTP server, served by its own coroutine: read a request head,
// its body, dispatch to the router, write the response; repeat while keep-alive holds.
// Pipelined requests are answered in order and their responses leave in one write. The
// connection lives on its coroutine's stack; its buffers are the shared BufferedStream's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "apps/http/parser.hpp"
#include "apps/http/request.hpp"
#include "apps/http/server.hpp"
#include "net/buffered_stream.hpp"
#include "net/tcp.hpp"

namespace coronet::http {

class Connection final : public BodySource {
public:
    Connection(Server& server, net::TcpStream& stream);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Serves requests until the connection ends; closes it.
    void run();

private:
    // Switched: a handler took the connection over for another protocol (Exchange).
    enum class Outcome : uint8_t { Next, Close, Abort, Switched };

    Outcome serve_one();
    Outcome serve_request();  // the head is read: the body, the handler, the response
    Outcome read_head();
    // The whole body into m_body (routes that take it whole).
    Outcome read_body();
    // BodySource: the next decoded piece, read into the input after the head.
    Result<std::string_view> next_body_piece() override;
    Outcome dispatch(const Router::Match& match);
    // Answers with an error status and closes (after the response is sent).
    Outcome fail(uint16_t status, const char* detail);
    void count_response(uint16_t status);
    void release_body();

    Server& m_server;
    net::BufferedStream m_io;
    HeadParser m_parser;
    Request m_request;
    BodyDecoder* m_decoder = nullptr;  // the current request's (serve_request()'s frame)
    size_t m_body_position = 0;        // in the input: how far this request's bytes are decoded
    bool m_body_done = true;
    ParseError m_body_error;  // why next_body_piece() failed with Malformed
    char* m_body = nullptr;   // the decoded body of the current request, freed after it
    size_t m_body_capacity = 0;
    size_t m_body_length = 0;
};

}  // namespace coronet::http
