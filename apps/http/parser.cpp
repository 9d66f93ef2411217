// HTTP/1.x head parser (requests and responses) and body decoder (RFC 9112, RFC 9110):
// byte-at-a-time state machines, so a message split anywhere across reads parses exactly as if
// it arrived whole.
#include "apps/http/parser.hpp"

#include <type_traits>

#include "apps/http/syntax.hpp"

namespace coronet::http {

namespace {

// Hex digits in a chunk size, leading zeros included: 16 fill a uint64_t.
constexpr size_t kMaxChunkSizeDigits = 16;

// The status of every response parse error (see ParseError).
constexpr uint16_t kBadGateway = 502;

// Character classes of RFC 9110 and RFC 3986, one table lookup per byte.
enum : uint8_t {
    kTokenChar = 1 << 0,   // tchar: method, field names, list tokens
    kValueChar = 1 << 1,   // field-vchar / obs-text, SP and HTAB: field values
    kTargetChar = 1 << 2,  // visible ASCII: request-target and version
    kHostChar = 1 << 3,    // reg-name, IP-literal and port characters
};

struct CharTable {
    uint8_t bits[256] = {};
};

constexpr CharTable make_char_table() {
    CharTable table;
    for (int c = 0; c < 256; ++c) {
        uint8_t bits = 0;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool token_punct = false;
        for (const char* p = "!#$%&'*+-.^_`|~"; *p; ++p) token_punct |= c == *p;
        bool host_punct = false;
        for (const char* p = "-._~!$&'()*+,;=:[]%"; *p; ++p) host_punct |= c == *p;
        if (alnum || token_punct) bits |= kTokenChar;
        if (alnum || host_punct) bits |= kHostChar;
        if (c > 0x20 && c < 0x7f) bits |= kTargetChar;
        if ((c >= 0x20 && c != 0x7f) || c == '\t') bits |= kValueChar;
        table.bits[c] = bits;
    }
    return table;
}

constexpr CharTable kChars = make_char_table();

bool is(unsigned char c, uint8_t cls) { return (kChars.bits[c] & cls) != 0; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool all_of(std::string_view s, uint8_t cls) {
    for (char c : s) {
        if (!is(static_cast<unsigned char>(c), cls)) return false;
    }
    return true;
}

Method method_from(std::string_view text) {
    struct Known {
        std::string_view name;
        Method method;
    };
    static constexpr Known kKnown[] = {
        {"GET", Method::Get},     {"HEAD", Method::Head},     {"POST", Method::Post},
        {"PUT", Method::Put},     {"DELETE", Method::Delete}, {"OPTIONS", Method::Options},
        {"PATCH", Method::Patch}, {"TRACE", Method::Trace},   {"CONNECT", Method::Connect},
    };
    for (const Known& known : kKnown) {  // methods are case-sensitive (RFC 9110 9.1)
        if (text == known.name) return known.method;
    }
    return Method::Other;
}

// "HTTP/" 1*DIGIT [ "." 1*DIGIT ]: a version we may not speak, but a version (505, not 400).
bool is_version_shaped(std::string_view v) {
    constexpr std::string_view kName = "HTTP/";
    if (v.substr(0, kName.size()) != kName) return false;
    v.remove_prefix(kName.size());
    size_t major = 0;
    while (major < v.size() && is_digit(static_cast<unsigned char>(v[major]))) ++major;
    if (major == 0) return false;
    v.remove_prefix(major);
    if (v.empty()) return true;
    if (v.front() != '.' || v.size() < 2) return false;
    v.remove_prefix(1);
    for (char c : v) {
        if (!is_digit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

// host [ ":" port ], non-empty.
bool is_authority(std::string_view a) { return !a.empty() && all_of(a, kHostChar); }

// Content-Length: 1*DIGIT, or a list of identical ones (RFC 9110 8.6). False on anything else,
// including a value that does not fit 64 bits.
bool parse_content_length(std::string_view value, uint64_t& length) {
    bool seen = false;
    return for_each_element(value, [&](std::string_view element) {
        if (element.empty()) return false;
        uint64_t n = 0;
        for (char ch : element) {
            auto c = static_cast<unsigned char>(ch);
            if (!is_digit(c)) return false;
            unsigned digit = c - '0';
            if (n > (UINT64_MAX - digit) / 10) return false;
            n = n * 10 + digit;
        }
        if (seen && n != length) return false;
        length = n;
        seen = true;
        return true;
    });
}

}  // namespace

// --- HeadParser ---------------------------------------------------------------------------

bool HeadParser::reject(uint16_t status, const char* reason) {
    m_error = {m_response ? kBadGateway : status, reason};
    m_state = State::Failed;
    return false;
}

void HeadParser::reset() { *this = HeadParser(m_limits); }

void HeadParser::begin(Request& request) {
    request.method = Method::Other;
    request.method_text = request.target = request.path = request.query = request.host = {};
    request.version = Version::Http11;
    request.header_count = 0;
    request.framing = BodyFraming::None;
    request.content_length = 0;
    request.keep_alive = true;
    request.expect_continue = false;
}

void HeadParser::begin(ResponseHead& response) {
    response.version = Version::Http11;
    response.status = 0;
    response.reason = {};
    response.header_count = 0;
    response.framing = BodyFraming::None;
    response.content_length = 0;
    response.keep_alive = true;
    response.transfer_coded = false;
}

// One state machine for both kinds of head: the request line's states are compiled only into
// the request instance and the status line's only into the response one, so the server's scan
// is what it was before responses were parsed.
template <typename Head>
ParseStatus HeadParser::scan(std::string_view buffer, Head& head, Method request_method) {
    constexpr bool kResponse = std::is_same_v<Head, ResponseHead>;
    if (m_state == State::Done) return ParseStatus::Done;
    if (m_state == State::Failed) return ParseStatus::Error;
    // The views already stored point into the previous buffer: if the bytes moved (or the
    // caller broke the only-grows rule), scan again from the start, into the new buffer.
    if (m_scanned > 0 && (buffer.data() != m_base || buffer.size() < m_scanned)) reset();
    if (m_scanned == 0) begin(head);
    m_base = buffer.data();
    m_response = kResponse;  // set on every call: reset() forgets it
    m_request_method = request_method;

    const char* data = buffer.data();
    const size_t end = buffer.size();
    const size_t field_limit =
        m_limits.header_count < kMaxHeaderCount ? m_limits.header_count : kMaxHeaderCount;
    size_t i = m_scanned;
    // Every exit below stores the scan position back.
    auto stop = [&](ParseStatus status) {
        m_scanned = i;
        return status;
    };
    // Where a run of start-line bytes must stop: the end of the bytes, of the head's limit and
    // of the start line's.
    auto line_run_end = [&] {
        size_t run_end = end < m_limits.header_bytes ? end : m_limits.header_bytes;
        if (run_end - m_line_start > m_limits.request_line)
            run_end = m_line_start + m_limits.request_line;
        return run_end;
    };

    while (i < end) {
        if (i >= m_limits.header_bytes) {
            reject(431, kResponse ? "response head too large" : "request head too large");
            return stop(ParseStatus::Error);
        }
        auto c = static_cast<unsigned char>(data[i]);
        bool in_start_line = m_state >= State::Method && m_state <= State::Reason;
        if (in_start_line && i - m_line_start >= m_limits.request_line && c != '\r' && c != '\n') {
            reject(414, kResponse ? "status line too long" : "request line too long");
            return stop(ParseStatus::Error);
        }
        bool ok = true;
        switch (m_state) {
        case State::LineStart:
            // Empty lines before the start line are skipped: a server must (RFC 9112 2.2), and
            // a client meets them after a server sent a stray CRLF behind a body.
            if (c == '\r') {
                m_state = State::EmptyLineLf;
            } else if (c == '\n') {
                // another empty line
            } else if (is(c, kResponse ? kTargetChar : kTokenChar)) {
                m_line_start = m_token_start = i;
                m_state = kResponse ? State::StatusVersion : State::Method;
                continue;  // the line's first byte, counted there
            } else {
                ok = reject(400, kResponse ? "invalid status line" : "invalid request line");
            }
            break;
        case State::EmptyLineLf:
            if (c == '\n') m_state = State::LineStart;
            else ok = reject(400, "CR without LF");
            break;
        case State::Method:
            if constexpr (!kResponse) {
                if (c == ' ') {
                    head.method_text = {data + m_token_start, i - m_token_start};
                    head.method = method_from(head.method_text);
                    m_state = State::TargetStart;
                } else if (!is(c, kTokenChar)) {
                    ok = reject(400, "invalid method");
                } else if (i - m_token_start >= kMaxMethodLength) {
                    ok = reject(501, "method too long");
                }
            }
            break;
        case State::TargetStart:
            if constexpr (!kResponse) {
                if (c == ' ') {
                    ok = reject(400, "more than one space in the request line");
                    break;
                }
                m_token_start = i;
                m_state = State::Target;
                continue;
            }
            break;
        case State::Target:
            if constexpr (!kResponse) {
                // A run of target bytes, stopping short of the limits: after it the top of the
                // loop checks the byte it stopped at; when there was no run, that byte is
                // handled here.
                size_t run_end = line_run_end();
                size_t run_start = i;
                while (i < run_end && is(static_cast<unsigned char>(data[i]), kTargetChar)) ++i;
                if (i != run_start) continue;
                if (c == ' ') {
                    ok = end_target(data, i, head);
                    m_token_start = i + 1;
                    if (ok) m_state = State::Version;
                } else {
                    ok = reject(400, "invalid character in the request target");
                }
            }
            break;
        case State::Version:
            if constexpr (!kResponse) {
                if (c == '\r' || c == '\n') {
                    ok = end_version(data, i, head.version);
                    if (ok) m_state = c == '\r' ? State::StartLineLf : State::FieldStart;
                } else if (c == ' ') {
                    ok = reject(400, "more than one space in the request line");
                } else if (!is(c, kTargetChar)) {
                    ok = reject(400, "invalid HTTP version");
                }
            }
            break;
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4)
        case State::StatusVersion:
            if constexpr (kResponse) {
                if (c == ' ') {
                    ok = end_version(data, i, head.version);
                    m_token_start = i + 1;
                    if (ok) m_state = State::StatusCode;
                } else if (c == '\r' || c == '\n') {
                    ok = reject(400, "status line without a status code");
                } else if (!is(c, kTargetChar)) {
                    ok = reject(400, "invalid HTTP version");
                }
            }
            break;
        case State::StatusCode:
            if constexpr (kResponse) {
                size_t digits = i - m_token_start;
                if (is_digit(c)) {
                    if (digits == 3) ok = reject(400, "status code is not three digits");
                } else if (c != ' ' && c != '\r' && c != '\n') {
                    ok = reject(400, "invalid status code");
                } else if (digits != 3) {
                    ok = reject(400, "status code is not three digits");
                } else if (!end_status_code(data, head)) {
                    ok = false;
                } else if (c == ' ') {
                    m_token_start = i + 1;
                    m_state = State::Reason;
                } else {
                    // No SP and no reason: senders must send the SP, but the line is no less
                    // clear without it, and servers that omit it exist.
                    m_state = c == '\r' ? State::StartLineLf : State::FieldStart;
                }
            }
            break;
        case State::Reason:
            if constexpr (kResponse) {
                size_t run_end = line_run_end();
                size_t run_start = i;
                while (i < run_end && is(static_cast<unsigned char>(data[i]), kValueChar)) ++i;
                if (i != run_start) continue;
                if (c == '\r' || c == '\n') {
                    head.reason = {data + m_token_start, i - m_token_start};
                    m_state = c == '\r' ? State::StartLineLf : State::FieldStart;
                } else {
                    ok = reject(400, "invalid character in the reason phrase");
                }
            }
            break;
        case State::StartLineLf:
        case State::FieldLf:
            if (c != '\n') {
                ok = reject(400, "CR without LF");
            } else {
                if (m_state == State::FieldLf) ok = end_field(data, head);
                if (ok) m_state = State::FieldStart;
            }
            break;
        case State::FieldStart:
            if (c == '\r') {
                m_state = State::EndLf;
            } else if (c == '\n') {
                ok = end_head(head);
                ++i;
                if (ok) m_head_length = i;
                return stop(ok ? ParseStatus::Done : ParseStatus::Error);
            } else if (is_ows(c)) {
                // obs-fold, or whitespace between the start line and the first field (a
                // smuggling vector, RFC 9112 2.2): rejected either way.
                ok = reject(400, "line folding or leading whitespace in a header field");
            } else if (is(c, kTokenChar)) {
                if (head.header_count >= field_limit) {
                    ok = reject(431, "too many header fields");
                    break;
                }
                m_name_start = i;
                m_state = State::FieldName;
            } else if (c == ':') {
                ok = reject(400, "empty header field name");
            } else {
                ok = reject(400, "invalid header field name");
            }
            break;
        case State::FieldName:
            if (c == ':') {
                m_name_end = i;
                m_state = State::ValueStart;
            } else if (is_ows(c)) {
                ok = reject(400, "whitespace before the colon of a header field");
            } else if (!is(c, kTokenChar)) {
                ok = reject(400, "invalid header field name");
            }
            break;
        case State::ValueStart:
            if (is_ows(c)) break;
            m_token_start = m_value_end = i;
            m_state = State::Value;
            continue;
        case State::Value: {
            size_t run_end = end < m_limits.header_bytes ? end : m_limits.header_bytes;
            size_t run_start = i;
            while (i < run_end) {
                auto v = static_cast<unsigned char>(data[i]);
                if (!is(v, kValueChar)) break;
                ++i;
                if (!is_ows(v)) m_value_end = i;
            }
            if (i != run_start) continue;
            if (c == '\r') {
                m_state = State::FieldLf;
            } else if (c == '\n') {
                ok = end_field(data, head);
                if (ok) m_state = State::FieldStart;
            } else {
                ok = reject(400, "invalid character in a header field value");
            }
            break;
        }
        case State::EndLf:
            if (c != '\n') {
                ok = reject(400, "CR without LF");
                break;
            }
            ok = end_head(head);
            ++i;
            if (ok) m_head_length = i;
            return stop(ok ? ParseStatus::Done : ParseStatus::Error);
        case State::Done:
        case State::Failed: break;  // handled on entry
        }
        if (!ok) return stop(ParseStatus::Error);
        ++i;
    }
    return stop(ParseStatus::NeedMore);
}

ParseStatus HeadParser::parse(std::string_view buffer, Request& request) {
    return scan(buffer, request, Method::Other);
}

ParseStatus HeadParser::parse(std::string_view buffer, ResponseHead& response,
                              Method request_method) {
    return scan(buffer, response, request_method);
}

// The request-target data[m_token_start, end) is complete and the method known: check its form
// (RFC 9112 3.2) and split it.
bool HeadParser::end_target(const char* data, size_t end, Request& request) {
    std::string_view target(data + m_token_start, end - m_token_start);
    request.target = target;
    if (target.front() == '/') {  // origin-form
        if (request.method == Method::Connect) return reject(400, "CONNECT needs host:port");
        size_t question = target.find('?');
        request.path = target.substr(0, question);
        if (question != std::string_view::npos) request.query = target.substr(question + 1);
        return true;
    }
    if (target == "*") {  // asterisk-form
        if (request.method != Method::Options) return reject(400, "'*' is only for OPTIONS");
        request.path = target;
        return true;
    }
    if (request.method == Method::Connect) {  // authority-form: host ":" port
        size_t colon = target.rfind(':');
        if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size() ||
            !is_authority(target) ||
            target.find_first_not_of("0123456789", colon + 1) != std::string_view::npos)
            return reject(400, "CONNECT needs host:port");
        request.path = target;
        return true;
    }
    // absolute-form: an http or https URI. The authority replaces the Host header (RFC 9112
    // 3.2.2) and the path is at least "/".
    size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return reject(400, "invalid request target");
    std::string_view scheme = target.substr(0, scheme_end);
    if (!equals_ignore_case(scheme, "http") && !equals_ignore_case(scheme, "https"))
        return reject(400, "request target is not an http URI");
    std::string_view rest = target.substr(scheme_end + 3);
    size_t authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    if (!is_authority(authority)) return reject(400, "invalid authority in the request target");
    rest.remove_prefix(authority.size());
    size_t question = rest.find('?');
    std::string_view path = rest.substr(0, question);
    if (question != std::string_view::npos) request.query = rest.substr(question + 1);
    if (path.empty()) {
        // "/" as a view of the buffer too: the second slash of "://".
        path = target.substr(scheme_end + 2, 1);
    } else if (path.front() != '/') {
        return reject(400, "invalid request target");
    }
    request.path = path;
    request.host = authority;
    m_absolute_target = true;
    return true;
}

// The version data[m_token_start, end) is complete.
bool HeadParser::end_version(const char* data, size_t end, Version& version) {
    std::string_view text(data + m_token_start, end - m_token_start);
    if (text == "HTTP/1.1") {
        version = Version::Http11;
    } else if (text == "HTTP/1.0") {
        version = Version::Http10;
    } else if (is_version_shaped(text)) {
        return reject(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    } else {
        return reject(400, "invalid HTTP version");
    }
    return true;
}

// The three digits at data[m_token_start] are complete.
bool HeadParser::end_status_code(const char* data, ResponseHead& response) {
    const char* digits = data + m_token_start;
    if (digits[0] == '0') return reject(400, "status code below 100");
    response.status =
        static_cast<uint16_t>((digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0'));
    return true;
}

// A field line has ended: store it, and take in what it says about the message.
template <typename Head>
bool HeadParser::end_field(const char* data, Head& head) {
    Header& header = head.headers[head.header_count++];
    header.name = {data + m_name_start, m_name_end - m_name_start};
    header.value = {data + m_token_start, m_value_end - m_token_start};
    return take_field(header, head);
}

bool HeadParser::take_field(const Header& header, Request& request) {
    std::string_view name = header.name;
    std::string_view value = header.value;

    if (equals_ignore_case(name, "Host")) {
        if (++m_host_count > 1) return reject(400, "more than one Host header");
        if (!value.empty() && !is_authority(value)) return reject(400, "invalid Host header");
        if (!m_absolute_target) request.host = value;
    } else if (equals_ignore_case(name, "Content-Length")) {
        if (!take_content_length(value, request.content_length)) return false;
        if (request.content_length > m_limits.body_bytes)
            return reject(413, "body larger than the limit");
    } else if (equals_ignore_case(name, "Transfer-Encoding")) {
        if (request.version == Version::Http10)
            return reject(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (m_has_content_length) return reject(400, "both Content-Length and Transfer-Encoding");
        // Only "chunked", once: with any other coding before or after it we could not find
        // the body's end or would have to decode what we do not implement (RFC 9112 6.1).
        bool any = false;
        bool ok = for_each_element(value, [&](std::string_view coding) {
            if (coding.empty()) return true;
            any = true;
            if (!equals_ignore_case(coding, "chunked"))
                return reject(501, "unsupported transfer coding");
            if (m_has_transfer_encoding) return reject(501, "chunked applied more than once");
            m_has_transfer_encoding = true;
            return true;
        });
        if (!ok) return false;
        if (!any) return reject(400, "empty Transfer-Encoding");
    } else if (equals_ignore_case(name, "Connection")) {
        take_connection(value);
    } else if (equals_ignore_case(name, "Expect")) {
        // Other expectations are ignored (RFC 9110 10.1.1 allows 417; ignoring is simpler).
        for_each_element(value, [&](std::string_view expectation) {
            if (equals_ignore_case(expectation, "100-continue")) m_expect_continue = true;
            return true;
        });
    }
    return true;
}

bool HeadParser::take_field(const Header& header, ResponseHead& response) {
    std::string_view name = header.name;
    std::string_view value = header.value;

    if (equals_ignore_case(name, "Content-Length")) {
        // Checked even where no body can follow: a server that contradicts itself is not one to
        // trust with the next response on the connection. The body limit is the decoder's, so
        // that the client still learns the status of a response it will not read.
        return take_content_length(value, response.content_length);
    } else if (equals_ignore_case(name, "Transfer-Encoding")) {
        // An HTTP/1.0 message with Transfer-Encoding has faulty framing (RFC 9112 6.1).
        if (response.version == Version::Http10)
            return reject(400, "Transfer-Encoding in an HTTP/1.0 response");
        if (m_has_content_length) return reject(400, "both Content-Length and Transfer-Encoding");
        // Any codings, unlike a request's: a proxy passes on what it need not decode. Only
        // chunked, the framing, must not be applied twice.
        bool any = false;
        bool ok = for_each_element(value, [&](std::string_view coding) {
            if (coding.empty()) return true;
            any = true;
            bool chunked = equals_ignore_case(coding, "chunked");
            if (chunked && m_has_transfer_encoding)
                return reject(400, "chunked applied more than once");
            m_has_transfer_encoding |= chunked;
            m_other_coding |= !chunked;
            m_chunked_final = chunked;
            return true;
        });
        if (!ok) return false;
        if (!any) return reject(400, "empty Transfer-Encoding");
    } else if (equals_ignore_case(name, "Connection")) {
        take_connection(value);
    }
    return true;
}

// Content-Length: valid, the same as any earlier one, and never beside Transfer-Encoding (the
// way requests are smuggled and responses split, RFC 9112 6.3).
bool HeadParser::take_content_length(std::string_view value, uint64_t& length) {
    if (m_has_transfer_encoding || m_other_coding)
        return reject(400, "both Content-Length and Transfer-Encoding");
    uint64_t n = 0;
    if (!parse_content_length(value, n) || (m_has_content_length && n != length))
        return reject(400, "invalid Content-Length");
    length = n;
    m_has_content_length = true;
    return true;
}

void HeadParser::take_connection(std::string_view value) {
    for_each_element(value, [&](std::string_view option) {
        if (equals_ignore_case(option, "close")) m_connection_close = true;
        else if (equals_ignore_case(option, "keep-alive")) m_connection_keep_alive = true;
        return true;
    });
}

// The empty line ending the head has arrived: apply what the fields said.
bool HeadParser::end_head(Request& request) {
    bool http11 = request.version == Version::Http11;
    if (http11 && m_host_count == 0) return reject(400, "missing Host header");
    if (m_has_transfer_encoding) request.framing = BodyFraming::Chunked;
    else if (request.content_length > 0) request.framing = BodyFraming::ContentLength;
    else request.framing = BodyFraming::None;
    request.keep_alive = !m_connection_close && (http11 || m_connection_keep_alive);
    // A 1.0 client may not understand a 100 response (RFC 9110 10.1.1).
    request.expect_continue = http11 && m_expect_continue;
    m_state = State::Done;
    return true;
}

// The response's head is complete: how its body ends, by the rules of RFC 9112 6.3 in their
// order of precedence.
bool HeadParser::end_head(ResponseHead& response) {
    uint16_t status = response.status;
    bool http11 = response.version == Version::Http11;
    // After a 2xx to CONNECT the connection is a tunnel: what follows is not a body.
    bool no_body = status < 200 || status == 204 || status == 304 ||
                   m_request_method == Method::Head ||
                   (m_request_method == Method::Connect && status < 300);
    bool transfer_encoding = m_has_transfer_encoding || m_other_coding;
    if (no_body) response.framing = BodyFraming::None;
    // A final coding other than chunked leaves the server's close as the only end.
    else if (transfer_encoding && m_chunked_final) response.framing = BodyFraming::Chunked;
    else if (transfer_encoding) response.framing = BodyFraming::UntilClose;
    else if (response.content_length > 0) response.framing = BodyFraming::ContentLength;
    else if (m_has_content_length) response.framing = BodyFraming::None;
    else response.framing = BodyFraming::UntilClose;
    response.transfer_coded = !no_body && m_other_coding;
    response.keep_alive = !m_connection_close && (http11 || m_connection_keep_alive) &&
                          response.framing != BodyFraming::UntilClose;
    m_state = State::Done;
    return true;
}

// --- BodyDecoder --------------------------------------------------------------------------

BodyDecoder::BodyDecoder(const Request& request, const Limits& limits)
    : BodyDecoder(request.framing, request.content_length, limits, false) {}

BodyDecoder::BodyDecoder(const ResponseHead& response, const Limits& limits)
    : BodyDecoder(response.framing, response.content_length, limits, true) {}

BodyDecoder::BodyDecoder(BodyFraming framing, uint64_t content_length, const Limits& limits,
                         bool response)
    : m_limits(limits), m_response(response) {
    switch (framing) {
    case BodyFraming::None: m_state = State::Done; break;
    case BodyFraming::ContentLength:
        m_remaining = content_length;
        if (m_remaining > m_limits.body_bytes) reject(413, "body larger than the limit");
        else m_state = m_remaining == 0 ? State::Done : State::Length;
        break;
    case BodyFraming::Chunked: m_state = State::ChunkSize; break;
    case BodyFraming::UntilClose: m_state = State::UntilClose; break;
    }
}

bool BodyDecoder::reject(uint16_t status, const char* reason) {
    m_error = {m_response ? kBadGateway : status, reason};
    m_state = State::Failed;
    return false;
}

bool BodyDecoder::done() const { return m_state == State::Done; }

ParseStatus BodyDecoder::decode(std::string_view input, Step& step) {
    step = {};
    size_t i = 0;
    while (i < input.size() && m_state != State::Done && m_state != State::Failed) {
        if (m_state == State::Length || m_state == State::UntilClose ||
            m_state == State::ChunkData) {
            if (!step.data.empty()) break;  // one piece per call
            uint64_t available = input.size() - i;
            if (m_state == State::UntilClose) {
                // Everything is body; only the limit can end it before the close does.
                if (available > m_limits.body_bytes - m_body_bytes) {
                    reject(413, "body larger than the limit");
                    break;
                }
                m_remaining = available;
            }
            auto take = static_cast<size_t>(m_remaining < available ? m_remaining : available);
            step.data = input.substr(i, take);
            i += take;
            m_remaining -= take;
            m_body_bytes += take;
            if (m_remaining == 0 && m_state == State::Length) m_state = State::Done;
            else if (m_remaining == 0 && m_state == State::ChunkData) m_state = State::ChunkDataEnd;
            continue;
        }
        if (!chunk_framing(static_cast<unsigned char>(input[i]))) break;
        ++i;
    }
    step.consumed = i;
    if (m_state == State::Failed) {
        step.data = {};
        return ParseStatus::Error;
    }
    return m_state == State::Done ? ParseStatus::Done : ParseStatus::NeedMore;
}

ParseStatus BodyDecoder::finish() {
    if (m_state == State::UntilClose) m_state = State::Done;
    if (m_state == State::Done) return ParseStatus::Done;
    if (m_state != State::Failed) reject(400, "the body was cut short by the end of the input");
    return ParseStatus::Error;
}

// One byte of chunked framing (RFC 9112 7.1): sizes, extensions, line ends and trailers.
bool BodyDecoder::chunk_framing(unsigned char c) {
    bool in_trailer = m_state >= State::TrailerStart && m_state <= State::TrailerEndLf;
    if (in_trailer && ++m_trailer_bytes > m_limits.header_bytes)
        return reject(431, "trailer section too large");
    switch (m_state) {
    case State::ChunkSize: {
        int digit = hex_value(c);
        if (digit < 0) return reject(400, "invalid chunk size");
        m_state = State::ChunkSizeEnd;
        [[fallthrough]];
    }
    case State::ChunkSizeEnd: {
        int digit = hex_value(c);
        if (digit >= 0) {
            if (++m_digits > kMaxChunkSizeDigits) return reject(400, "chunk size too long");
            m_remaining = m_remaining * 16 + static_cast<unsigned>(digit);
            // Checked digit by digit, so the size can neither overflow nor run far past the
            // limit before we notice.
            if (m_remaining > m_limits.body_bytes - m_body_bytes)
                return reject(413, "body larger than the limit");
        } else if (c == ';' || is_ows(c)) {
            // BWS ";" chunk-ext, skipped
            m_state = c == ';' ? State::ChunkExtension : State::ChunkSizeWs;
            if (++m_extension_bytes > kMaxChunkExtensionBytes)
                return reject(400, "chunk extensions too long");
        } else if (c == '\r') {
            m_state = State::ChunkSizeLf;
        } else if (c == '\n') {
            m_state = m_remaining == 0 ? State::TrailerStart : State::ChunkData;
        } else {
            return reject(400, "invalid chunk size");
        }
        return true;
    }
    case State::ChunkSizeWs:  // whitespace after the size must lead to ';' or the line end
        if (c == ';') m_state = State::ChunkExtension;
        else if (!is_ows(c) && c != '\r' && c != '\n') return reject(400, "invalid chunk size");
        [[fallthrough]];
    case State::ChunkExtension:
        if (c == '\r') {
            m_state = State::ChunkSizeLf;
        } else if (c == '\n') {
            m_state = m_remaining == 0 ? State::TrailerStart : State::ChunkData;
        } else if (!is(c, kValueChar)) {
            return reject(400, "invalid chunk extension");
        } else if (++m_extension_bytes > kMaxChunkExtensionBytes) {
            return reject(400, "chunk extensions too long");
        }
        return true;
    case State::ChunkSizeLf:
        if (c != '\n') return reject(400, "CR without LF");
        m_state = m_remaining == 0 ? State::TrailerStart : State::ChunkData;
        return true;
    case State::ChunkDataEnd:
        if (c == '\r') m_state = State::ChunkDataLf;
        else if (c == '\n') m_state = State::ChunkSize;
        else return reject(400, "chunk data not followed by CRLF");
        m_digits = 0;
        return true;
    case State::ChunkDataLf:
        if (c != '\n') return reject(400, "chunk data not followed by CRLF");
        m_state = State::ChunkSize;
        return true;
    case State::TrailerStart:
        if (c == '\r') m_state = State::TrailerEndLf;
        else if (c == '\n') m_state = State::Done;
        else if (is(c, kTokenChar)) m_state = State::TrailerName;
        else return reject(400, "invalid trailer field");
        return true;
    case State::TrailerName:
        if (c == ':') m_state = State::TrailerValue;
        else if (!is(c, kTokenChar)) return reject(400, "invalid trailer field");
        return true;
    case State::TrailerValue:
        if (c == '\r') m_state = State::TrailerLf;
        else if (c == '\n') m_state = State::TrailerStart;
        else if (!is(c, kValueChar)) return reject(400, "invalid trailer field");
        return true;
    case State::TrailerLf:
    case State::TrailerEndLf:
        if (c != '\n') return reject(400, "CR without LF");
        m_state = m_state == State::TrailerLf ? State::TrailerStart : State::Done;
        return true;
    case State::Length:
    case State::UntilClose:
    case State::ChunkData:
    case State::Done:
    case State::Failed: break;  // not framing: decode() handles these
    }
    return true;
}

}  // namespace coronet::http
