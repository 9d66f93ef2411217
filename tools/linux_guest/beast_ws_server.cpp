// The C++ WebSocket baseline of the Linux guest (tools/linux_guest; built by its build script
// against Debian's Boost headers, run by its /init): Boost.Beast over Asio, one thread, the
// same two endpoints as Coronet's default image on one port: /ws/echo (every message back as it
// came, text as text, binary as binary) and /ws/chat (a room: every message goes to every
// participant, the sender included).
//
// Usage: beast-ws-server [port]   (default 8082; listens on 0.0.0.0 like nginx and redis)
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr unsigned short kDefaultPort = 8082;
// Coronet's echo takes messages up to 16 MiB; the slack keeps a message of exactly 16 MiB
// from being refused here first (as in ws_server.js).
constexpr std::size_t kMaxMessage = 16 * 1024 * 1024 + 64 * 1024;
constexpr int kBacklog = 65535;  // as nginx.conf's listen
// What Coronet's /ws/echo selects when a client offers it (the first offered that it knows).
constexpr std::string_view kEchoSubprotocols[] = {"echo", "coronet.echo.v1"};

using Request = http::request<http::string_body>;

void report(const char* what, const beast::error_code& ec) {
    std::fprintf(stderr, "beast-ws-server: %s: %s\n", what, ec.message().c_str());
}

// The first of the client's Sec-WebSocket-Protocol tokens that /ws/echo knows, or empty.
std::string pick_echo_subprotocol(const Request& req) {
    auto field = req[http::field::sec_websocket_protocol];
    std::string_view offered(field.data(), field.size());
    while (!offered.empty()) {
        auto comma = offered.find(',');
        auto token = offered.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
            token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
            token.remove_suffix(1);
        for (auto known : kEchoSubprotocols)
            if (token == known) return std::string(token);
        if (comma == std::string_view::npos) break;
        offered.remove_prefix(comma + 1);
    }
    return {};
}

class ChatSession;

// The participants of /ws/chat. Sessions join once their handshake is done and leave when they
// end; a broadcast only queues (no handler runs inside it), so the set cannot change under it.
class Room {
public:
    void join(ChatSession* session) { m_sessions.insert(session); }
    void leave(ChatSession* session) { m_sessions.erase(session); }
    void broadcast(const std::shared_ptr<const std::string>& message, bool text);

private:
    std::unordered_set<ChatSession*> m_sessions;
};

// The WebSocket settings both endpoints share.
void configure(websocket::stream<beast::tcp_stream>& ws, std::string subprotocol) {
    // The handshake under 30 s, no idle timeout, no keep-alive pings: Beast's server defaults.
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
        res.set(http::field::server, "beast-ws-server (" BOOST_BEAST_VERSION_STRING ")");
        if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
    }));
    ws.read_message_max(kMaxMessage);
    // One frame per message, as ws and Coronet send (Beast would otherwise cut a message into
    // frames of its write buffer's size).
    ws.auto_fragment(false);
    // permessage-deflate stays off: Beast's default (permessage_deflate{} offers nothing).
}

// /ws/echo: read a message, write it back with its type, read the next (one message in flight
// per connection: the client's pace is the server's).
class EchoSession : public std::enable_shared_from_this<EchoSession> {
public:
    explicit EchoSession(beast::tcp_stream&& stream) : m_ws(std::move(stream)) {}

    void accept(Request req) {
        configure(m_ws, pick_echo_subprotocol(req));
        m_ws.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->read();
        });
    }

private:
    void read() {
        m_ws.async_read(m_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;  // closed, reset or refused (too large): the session ends
            self->m_ws.text(self->m_ws.got_text());
            self->m_ws.async_write(self->m_buffer.data(),
                                   [self](beast::error_code ec, std::size_t) {
                                       if (ec) return;
                                       self->m_buffer.consume(self->m_buffer.size());
                                       self->read();
                                   });
        });
    }

    websocket::stream<beast::tcp_stream> m_ws;
    beast::flat_buffer m_buffer;
};

// /ws/chat: reads continuously; every message goes to the room, which queues it on each
// participant. Each session writes its queue one message at a time, so the broadcasts of
// several senders never interleave on a connection.
class ChatSession : public std::enable_shared_from_this<ChatSession> {
public:
    ChatSession(beast::tcp_stream&& stream, Room& room) : m_ws(std::move(stream)), m_room(room) {}
    ~ChatSession() { m_room.leave(this); }

    void accept(Request req) {
        configure(m_ws, {});
        m_ws.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            self->m_room.join(self.get());
            self->read();
        });
    }

    // Queues `message` for this participant; starts writing if nothing is being written.
    void send(const std::shared_ptr<const std::string>& message, bool text) {
        if (m_closed) return;
        m_queue.push_back({message, text});
        if (m_queue.size() == 1) write();
    }

private:
    struct Outgoing {
        std::shared_ptr<const std::string> data;
        bool text;
    };

    void read() {
        m_ws.async_read(m_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->end();
            auto message = std::make_shared<const std::string>(
                beast::buffers_to_string(self->m_buffer.data()));
            self->m_buffer.consume(self->m_buffer.size());
            self->m_room.broadcast(message, self->m_ws.got_text());
            self->read();
        });
    }

    void write() {
        const Outgoing& next = m_queue.front();
        m_ws.text(next.text);
        m_ws.async_write(net::buffer(*next.data),
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             self->m_queue.pop_front();
                             if (ec) return self->end();
                             if (!self->m_queue.empty()) self->write();
                         });
    }

    // Out of the room and nothing more to send; the pending read (if any) ends with the
    // socket. A message being written stays queued: its buffer must outlive the write.
    void end() {
        m_room.leave(this);
        m_closed = true;
        if (m_queue.size() > 1) m_queue.erase(std::next(m_queue.begin()), m_queue.end());
    }

    websocket::stream<beast::tcp_stream> m_ws;
    beast::flat_buffer m_buffer;
    Room& m_room;
    std::deque<Outgoing> m_queue;
    bool m_closed = false;
};

void Room::broadcast(const std::shared_ptr<const std::string>& message, bool text) {
    for (ChatSession* session : m_sessions) session->send(message, text);
}

// Reads the HTTP request of a new connection and hands it to its endpoint; anything that is
// not an upgrade to one of the two paths gets a plain HTTP answer and is closed.
class Handshake : public std::enable_shared_from_this<Handshake> {
public:
    Handshake(tcp::socket&& socket, Room& room) : m_stream(std::move(socket)), m_room(room) {}

    void start() {
        m_stream.expires_after(std::chrono::seconds(30));
        http::async_read(m_stream, m_buffer, m_req,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (!ec) self->route();
                         });
    }

private:
    void route() {
        m_stream.expires_never();  // the WebSocket stream sets its own timeouts
        auto target = m_req.target();
        std::string_view path(target.data(), target.size());
        path = path.substr(0, path.find('?'));
        bool echo = path == "/ws/echo", chat = path == "/ws/chat";
        if ((echo || chat) && websocket::is_upgrade(m_req)) {
            // Bytes the client sent after its request head would be lost with m_buffer; a
            // WebSocket client waits for the 101 before it sends, so there are none.
            if (echo) std::make_shared<EchoSession>(std::move(m_stream))->accept(std::move(m_req));
            else
                std::make_shared<ChatSession>(std::move(m_stream), m_room)
                    ->accept(std::move(m_req));
            return;
        }
        m_res.version(m_req.version());
        m_res.result(echo || chat ? http::status::upgrade_required : http::status::not_found);
        m_res.set(http::field::connection, "close");
        m_res.prepare_payload();
        http::async_write(m_stream, m_res,
                          [self = shared_from_this()](beast::error_code, std::size_t) {
                              beast::error_code ignored;
                              self->m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          });
    }

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    Request m_req;
    http::response<http::empty_body> m_res;
    Room& m_room;
};

class Listener {
public:
    Listener(net::io_context& io, unsigned short port, Room& room)
        : m_acceptor(io), m_retry(io), m_room(room) {
        tcp::endpoint endpoint(net::ip::address_v4::any(), port);
        m_acceptor.open(endpoint.protocol());
        m_acceptor.set_option(net::socket_base::reuse_address(true));
        m_acceptor.bind(endpoint);
        m_acceptor.listen(kBacklog);
    }

    void accept() {
        m_acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                // Out of descriptors or memory: the listener stays, and tries again shortly
                // instead of spinning on the same error.
                report("accept", ec);
                m_retry.expires_after(std::chrono::milliseconds(50));
                m_retry.async_wait([this](beast::error_code) { accept(); });
                return;
            }
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // as ws and Coronet do
            std::make_shared<Handshake>(std::move(socket), m_room)->start();
            accept();
        });
    }

private:
    tcp::acceptor m_acceptor;
    net::steady_timer m_retry;
    Room& m_room;
};

}  // namespace

int main(int argc, char** argv) {
    unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : kDefaultPort;
    // Declared before the io_context: sessions still pending when it is destroyed leave it.
    Room room;
    // One thread: the guest has one vCPU, and the room needs no lock.
    net::io_context io(1);
    try {
        Listener listener(io, port, room);
        listener.accept();
        net::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&io](beast::error_code, int) { io.stop(); });
        std::printf("beast-ws-server: Boost %d.%d.%d Beast %d on :%u (/ws/echo, /ws/chat)\n",
                    BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
                    BOOST_BEAST_VERSION, port);
        std::fflush(stdout);
        io.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beast-ws-server: %s\n", e.what());
        return 1;
    }
    return 0;
}
