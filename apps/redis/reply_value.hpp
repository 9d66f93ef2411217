// A parsed reply as a caller reads it: a view of one node of ReplyParser's array and of the
// received bytes, with its text, number, error code or elements. Copying a view copies two
// pointers; it is valid as long as the parse and the bytes it came from.
//
//     ReplyValue reply = TRY(client.command({"MGET", "a", "b"}, deadline));
//     if (reply.is_error()) return log(reply.error_code(), reply.error_message());
//     for (ReplyValue item : reply) use(item.is_null() ? "-" : item.text());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/redis/reply_parser.hpp"
#include "lib/result.hpp"

namespace coronet::redis {

class ReplyValue {
public:
    ReplyValue(const ReplyNode* node, const char* base) : m_node(node), m_base(base) {}

    ReplyKind kind() const { return m_node->kind; }
    bool is_error() const { return kind() == ReplyKind::Error; }
    bool is_null() const { return kind() == ReplyKind::Null; }
    bool is_aggregate() const { return kind() >= ReplyKind::Array; }
    // Simple, Bulk or Verbatim: what a client usually means by "a string".
    bool is_string() const;
    // "+OK": the answer of SET, SELECT, ...
    bool is_ok() const { return kind() == ReplyKind::Simple && text() == "OK"; }

    // The bytes of any scalar: a string's data, an error's whole line ("ERR unknown command"),
    // a number's digits as sent (Integer, Double, BigNumber), "t"/"f"; a verbatim string's text
    // without its format. Empty for Null and aggregates.
    std::string_view text() const;
    // Integer's value, Boolean's 1 or 0; 0 for anything else (see to_integer()).
    int64_t integer() const { return m_node->integer; }
    bool boolean() const { return m_node->integer != 0; }
    // A number however it came: Integer, or a string or big number holding a decimal in range
    // (RESP2 sends INCRBYFLOAT's result and scores as bulk strings). InvalidArgument otherwise.
    Result<int64_t> to_integer() const;
    // Double, Integer, or a string holding a float ("inf", "-inf", "nan" included).
    Result<double> to_double() const;

    // An error's code, its first word ("ERR", "WRONGTYPE", "NOAUTH"), and the rest after the
    // space; both empty for anything but an Error.
    std::string_view error_code() const;
    std::string_view error_message() const;
    // A verbatim string's format ("txt", "mkd"); empty for anything else.
    std::string_view verbatim_format() const;

    // An aggregate's child values, a map's keys and values alternating (so a RESP3 map and the
    // flat array RESP2 sends for it read alike); 0 for a scalar.
    size_t size() const { return is_aggregate() ? m_node->length : 0; }
    bool empty() const { return size() == 0; }
    // Child `index` (< size()): walks the children before it, so iterate to read them all.
    ReplyValue operator[](size_t index) const;
    // In a map, or an array of alternating keys and values: the value after the first key whose
    // text is `key`. NotFound when there is none; InvalidArgument for other kinds.
    Result<ReplyValue> find(std::string_view key) const;

    class Iterator {
    public:
        Iterator(const ReplyNode* node, const char* base) : m_node(node), m_base(base) {}
        ReplyValue operator*() const { return ReplyValue(m_node, m_base); }
        Iterator& operator++();
        bool operator==(const Iterator& other) const { return m_node == other.m_node; }

    private:
        const ReplyNode* m_node;
        const char* m_base;
    };
    // The children in order, each step O(1) (a node knows where its subtree ends).
    Iterator begin() const;
    Iterator end() const;

private:
    std::string_view bytes() const { return {m_base + m_node->offset, m_node->length}; }

    const ReplyNode* m_node;
    const char* m_base;
};

}  // namespace coronet::redis
