// Reading a parsed reply: children found through each node's subtree span, numbers converted
// from their text only when asked for.
#include "apps/redis/reply_value.hpp"

#include "apps/redis/numbers.hpp"
#include "lib/assert.hpp"

namespace coronet::redis {

namespace {

constexpr std::string_view kVerbatimPrefix = "txt:";  // every format is 3 bytes and a colon

}  // namespace

bool ReplyValue::is_string() const {
    ReplyKind k = kind();
    return k == ReplyKind::Simple || k == ReplyKind::Bulk || k == ReplyKind::Verbatim;
}

std::string_view ReplyValue::text() const {
    if (kind() == ReplyKind::Null || is_aggregate()) return {};
    if (kind() == ReplyKind::Verbatim) return bytes().substr(kVerbatimPrefix.size());
    return bytes();
}

std::string_view ReplyValue::verbatim_format() const {
    if (kind() != ReplyKind::Verbatim) return {};
    return bytes().substr(0, kVerbatimPrefix.size() - 1);
}

std::string_view ReplyValue::error_code() const {
    if (!is_error()) return {};
    std::string_view line = bytes();
    size_t space = line.find(' ');
    return space == std::string_view::npos ? line : line.substr(0, space);
}

std::string_view ReplyValue::error_message() const {
    if (!is_error()) return {};
    std::string_view line = bytes();
    size_t space = line.find(' ');
    return space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
}

Result<int64_t> ReplyValue::to_integer() const {
    switch (kind()) {
    case ReplyKind::Integer: return m_node->integer;
    case ReplyKind::Simple:
    case ReplyKind::Bulk:
    case ReplyKind::BigNumber: {
        int64_t value;
        if (parse_int64(text(), value)) return value;
        return Error::InvalidArgument;
    }
    default: return Error::InvalidArgument;
    }
}

Result<double> ReplyValue::to_double() const {
    switch (kind()) {
    case ReplyKind::Integer: return static_cast<double>(m_node->integer);
    case ReplyKind::Double:
    case ReplyKind::Simple:
    case ReplyKind::Bulk: {
        std::string_view t = text();
        // strtod reads these too, but parse_double refuses a NaN, which RESP3 may send.
        if (t == "nan") return __builtin_nan("");
        double value;
        if (parse_double(t, value)) return value;
        return Error::InvalidArgument;
    }
    default: return Error::InvalidArgument;
    }
}

ReplyValue ReplyValue::operator[](size_t index) const {
    CORONET_ASSERT(index < size() && "ReplyValue index past the aggregate's elements");
    const ReplyNode* child = m_node + 1;
    for (size_t k = 0; k < index; ++k) child += child->span;
    return ReplyValue(child, m_base);
}

Result<ReplyValue> ReplyValue::find(std::string_view key) const {
    ReplyKind k = kind();
    if (k != ReplyKind::Map && k != ReplyKind::Array && k != ReplyKind::Push)
        return Error::InvalidArgument;
    for (Iterator it = begin(); it != end(); ++it) {
        ReplyValue name = *it;
        if (++it == end()) break;  // an odd element out: no value follows it
        if ((name.is_string() || name.kind() == ReplyKind::Integer) && name.text() == key)
            return *it;
    }
    return Error::NotFound;
}

ReplyValue::Iterator& ReplyValue::Iterator::operator++() {
    m_node += m_node->span;
    return *this;
}

ReplyValue::Iterator ReplyValue::begin() const { return Iterator(m_node + 1, m_base); }

ReplyValue::Iterator ReplyValue::end() const {
    // A scalar has no children: begin() == end() there too.
    return Iterator(is_aggregate() ? m_node + m_node->span : m_node + 1, m_base);
}

}  // namespace coronet::redis
