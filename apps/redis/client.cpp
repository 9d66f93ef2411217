// The client connection: the handshake, commands gathered in a pooled buffer and written with the
// deadline of the call that sends them, replies parsed in the connection's input buffer and
// handed out as views until the next call consumes them.
#include "apps/redis/client.hpp"

#include <cstring>

#include "lib/buffer_pool.hpp"
#include "net/resolver.hpp"

namespace coronet::redis {

namespace {

BufferPool g_command_buffers(kClientBufferSize, kClientBufferCache);

}  // namespace

Client::Client(const ClientOptions& options)
    : m_options(options),
      m_io(m_stream, {.max_input = static_cast<size_t>(options.limits.max_reply_bytes),
                      .send_timeout_ns = options.send_timeout_ns,
                      .linger_ns = kClientLinger}),
      m_output(*this, g_command_buffers),
      m_parser(options.limits) {}

Client::~Client() { close(); }

Result<void> Client::connect(std::string_view host_port, sched::Deadline deadline) {
    net::HostPort split;
    if (!net::split_host_port(host_port, split)) return Error::InvalidArgument;
    return connect(split.host, split.port, deadline);
}

Result<void> Client::connect(std::string_view host, uint16_t port, sched::Deadline deadline) {
    net::Resolved resolved = TRY(net::resolve(host, deadline));
    return connect(net::Endpoint{.address = resolved.address, .port = port}, deadline);
}

Result<void> Client::connect(const net::Endpoint& server, sched::Deadline deadline) {
    close();
    m_handshake_error[0] = '\0';
    m_protocol = 2;
    m_stream = TRY(net::TcpStream::connect(server, deadline));
    if (auto said = handshake(deadline); !said) {
        if (is_open()) broken(said.error());
        return said.error();
    }
    return {};
}

Result<void> Client::refused_by(const ReplyValue& reply, Error error) {
    std::string_view line = reply.text();
    size_t n =
        line.size() < sizeof m_handshake_error - 1 ? line.size() : sizeof m_handshake_error - 1;
    memcpy(m_handshake_error, line.data(), n);
    m_handshake_error[n] = '\0';
    return error;
}

Result<void> Client::handshake(sched::Deadline deadline) {
    std::string_view user = m_options.username.empty() ? "default" : m_options.username;
    bool auth = !m_options.password.empty();
    if (m_options.protocol == 3) {
        CommandArg hello[] = {"HELLO", 3, "AUTH", user, m_options.password};
        ReplyValue reply = TRY(command(hello, auth ? 5 : 2, deadline));
        if (reply.is_error()) {
            // NOPROTO from Redis 6 and later, "ERR unknown command" from older ones.
            bool unsupported = reply.error_code() == "NOPROTO" ||
                               reply.error_message().starts_with("unknown command");
            return refused_by(reply, unsupported ? Error::Unsupported : Error::Refused);
        }
        Result<ReplyValue> proto = reply.find("proto");
        if (!proto || proto->integer() != 3) return Error::Unsupported;
        m_protocol = 3;
    } else if (auth) {
        CommandArg login[] = {"AUTH", user, m_options.password};
        // Without a username, the one-argument form: servers before Redis 6 know no other.
        ReplyValue reply =
            TRY(m_options.username.empty() ? command({"AUTH", m_options.password}, deadline)
                                           : command(login, 3, deadline));
        if (reply.is_error()) return refused_by(reply, Error::Refused);
    }
    if (m_options.database != 0) {
        ReplyValue reply = TRY(command({"SELECT", m_options.database}, deadline));
        if (reply.is_error()) return refused_by(reply, Error::Refused);
    }
    return {};
}

bool Client::is_idle() const {
    // In RESP2 a byte nobody asked for means the conversation is out of step.
    return is_open() && m_owed == 0 && m_output.pending() == 0 && !m_subscribed &&
           m_io.input().size() == m_frame_length && !m_stream.peer_gone();
}

Error Client::broken(Error error) {
    m_io.abort();
    // With the stream gone nothing is written (write_all() refuses): the buffer just goes back.
    (void)m_output.flush();
    m_parser.release();
    m_owed = 0;
    m_frame_length = 0;
    m_subscribed = false;
    return error;
}

void Client::go_idle() {
    if (!is_idle()) return;
    m_io.consume(m_frame_length);
    m_frame_length = 0;
    m_parser.release();
    // fill() gives an emptied input buffer back before it waits, and with a deadline already
    // passed it does not wait: unless something arrived unasked, which is kept to be seen.
    Result<size_t> n = m_io.fill(sched::now());
    if (n) m_stats.bytes_read += *n;
    else if (n.error() != Error::Timeout) broken(n.error());
}

void Client::close() {
    if (!is_open()) {
        m_parser.release();
        return;
    }
    if (m_owed > 0 || m_output.pending() > 0 || m_io.input().size() > m_frame_length) {
        broken(Error::Closed);
        return;
    }
    m_io.consume(m_frame_length);
    m_io.close_gracefully();
    m_parser.release();
    m_frame_length = 0;
    m_subscribed = false;
}

Result<void> Client::write_all(const void* data, size_t length) {
    if (!is_open()) return Error::Closed;
    return m_stream.write_all(data, length, m_write_deadline);
}

Result<void> Client::send(const CommandArg* args, size_t count) {
    if (!is_open()) return Error::Closed;
    if (count == 0) return Error::InvalidArgument;
    m_write_deadline = sched::now() + m_options.send_timeout_ns;
    // A command cut off in the middle cannot be taken back: the connection is over.
    if (auto encoded = encode_command(m_output, args, count); !encoded)
        return broken(encoded.error());
    ++m_stats.commands;
    return {};
}

Result<void> Client::queue(const CommandArg* args, size_t count) {
    TRY_VOID(send(args, count));
    ++m_owed;
    return {};
}

Result<void> Client::queue(std::initializer_list<CommandArg> args) {
    return queue(args.begin(), args.size());
}

Result<void> Client::flush(sched::Deadline deadline) {
    if (!is_open()) return Error::Closed;
    m_write_deadline = deadline;
    // Output::flush() drops what it could not write, so even a timeout ends the conversation.
    if (auto flushed = m_output.flush(); !flushed) return broken(flushed.error());
    return {};
}

Result<ReplyValue> Client::command(const CommandArg* args, size_t count, sched::Deadline deadline) {
    if (m_owed > 0) return Error::Busy;
    TRY_VOID(queue(args, count));
    return read_reply(deadline);
}

Result<ReplyValue> Client::command(std::initializer_list<CommandArg> args,
                                   sched::Deadline deadline) {
    return command(args.begin(), args.size(), deadline);
}

Result<ReplyValue> Client::read_frame(sched::Deadline deadline) {
    if (!is_open()) return Error::Closed;
    if (m_frame_length > 0) {
        m_io.consume(m_frame_length);
        m_frame_length = 0;
        m_parser.reset();
    }
    TRY_VOID(flush(deadline));
    for (;;) {
        ParseStatus status = m_parser.parse(m_io.input());
        if (status == ParseStatus::Done) {
            m_frame_length = m_parser.reply_length();
            return m_parser.value(m_io.input().data());
        }
        if (status == ParseStatus::Error) {
            ReplyError why = m_parser.error();
            if (why == ReplyError::OutOfMemory) return broken(Error::OutOfMemory);
            return broken(is_limit(why) ? Error::LimitReached : Error::Malformed);
        }
        Result<size_t> n = m_io.fill(deadline);
        if (!n) {
            // A timeout loses nothing: what arrived stays, and so does the parse.
            if (n.error() == Error::Timeout) return Error::Timeout;
            return broken(n.error());
        }
        if (*n == 0) return broken(Error::Closed);
        m_stats.bytes_read += *n;
    }
}

Result<ReplyValue> Client::read_reply(sched::Deadline deadline) {
    if (m_owed == 0) return Error::InvalidArgument;
    for (;;) {
        ReplyValue frame = TRY(read_frame(deadline));
        if (frame.kind() == ReplyKind::Push) {
            if (m_options.on_push) m_options.on_push(m_options.push_context, frame);
            else ++m_stats.pushes_dropped;
            continue;
        }
        --m_owed;
        ++m_stats.replies;
        return frame;
    }
}

}  // namespace coronet::redis
