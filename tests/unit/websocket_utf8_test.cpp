// UTF-8 validation: a table of valid and invalid sequences (the boundaries of RFC 3629's
// ranges), each checked whole and split at every byte, and the fail-fast position: the
// validator must fail at the first byte no continuation could make valid.
#include "apps/websocket/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace coronet::websocket;

namespace {

struct Case {
    const char* name;
    std::string bytes;
};

// Whole, and as two pieces split at every byte: the result must not depend on the split.
bool valid_every_split(const std::string& bytes) {
    bool whole = is_valid_utf8(bytes);
    for (size_t split = 0; split <= bytes.size(); ++split) {
        Utf8Validator v;
        bool ok = v.feed(std::string_view(bytes).substr(0, split)) &&
                  v.feed(std::string_view(bytes).substr(split)) && v.complete();
        EXPECT_EQ(ok, whole) << "split at " << split;
    }
    return whole;
}

// The number of bytes after which the validator first reports failure, fed one at a time.
size_t fails_after(const std::string& bytes) {
    Utf8Validator v;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (!v.feed(std::string_view(bytes).substr(i, 1))) return i + 1;
    }
    return 0;
}

}  // namespace

TEST(WebSocketUtf8, ValidSequences) {
    const Case cases[] = {
        {"empty", ""},
        {"ascii", "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"},
        {"two-byte low", "\xc2\x80"},
        {"two-byte high", "\xdf\xbf"},
        {"three-byte low", "\xe0\xa0\x80"},
        {"before surrogates", "\xed\x9f\xbf"},
        {"after surrogates", "\xee\x80\x80"},
        {"U+FFFF", "\xef\xbf\xbf"},
        {"four-byte low", "\xf0\x90\x80\x80"},
        {"U+10FFFF", "\xf4\x8f\xbf\xbf"},
        {"kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"},
        {"long ascii", std::string(1000, 'a') + "\xe2\x82\xac" + std::string(17, 'b')},
    };
    for (const Case& c : cases) EXPECT_TRUE(valid_every_split(c.bytes)) << c.name;
}

TEST(WebSocketUtf8, InvalidSequences) {
    const Case cases[] = {
        {"lone continuation", "\x80"},
        {"C0 overlong", "\xc0\xaf"},
        {"C1 overlong", "\xc1\xbf"},
        {"E0 overlong", "\xe0\x9f\xbf"},
        {"surrogate", "\xed\xa0\x80"},
        {"F0 overlong", "\xf0\x8f\xbf\xbf"},
        {"past U+10FFFF", "\xf4\x90\x80\x80"},
        {"F5", "\xf5\x80\x80\x80"},
        {"FF", "\xff"},
        {"truncated two-byte", "\xc2"},
        {"truncated four-byte", "\xf0\x90\x80"},
        {"missing continuation", "\xe2\x28\xa1"},
        {"after long ascii", std::string(1000, 'a') + "\xed\xa0\x80"},
    };
    for (const Case& c : cases) EXPECT_FALSE(valid_every_split(c.bytes)) << c.name;
}

TEST(WebSocketUtf8, FailsAtTheFirstImpossibleByte) {
    // Autobahn's fail-fast cases: the payload is refused as soon as the bad byte is seen.
    EXPECT_EQ(fails_after("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                          "edited"),
              13u);
    EXPECT_EQ(fails_after("ab\xf4\x90"), 4u);
    EXPECT_EQ(fails_after("\xe0\x80"), 2u);
    EXPECT_EQ(fails_after("\xc0"), 1u);
    EXPECT_EQ(fails_after("\xf0\x90\x80"), 0u);  // not wrong yet: only incomplete
    Utf8Validator v;
    EXPECT_TRUE(v.feed("\xf0\x90\x80"));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed("\x80"));
    EXPECT_TRUE(v.complete());
}
