// Result<T> and TRY: values, errors and early returns.
#include "lib/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using coronet::Error;
using coronet::Result;

namespace {
Result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return Error::Malformed;
    return c - '0';
}
Result<int> sum_two(const char* s) {
    int a = TRY(parse_digit(s[0]));
    int b = TRY(parse_digit(s[1]));
    return a + b;
}
Result<void> check(bool ok) {
    if (!ok) return Error::Busy;
    return {};
}
Result<void> chain(bool ok) {
    TRY_VOID(check(ok));
    return {};
}
}  // namespace

TEST(Result, ValueAndError) {
    auto r = parse_digit('7');
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 7);
    auto e = parse_digit('x');
    EXPECT_FALSE(e.ok());
    EXPECT_EQ(e.error(), Error::Malformed);
    EXPECT_EQ(e.value_or(-1), -1);
    EXPECT_STREQ(coronet::error_name(Error::Timeout), "timeout");
}

TEST(Result, TryPropagatesTheFirstError) {
    EXPECT_EQ(*sum_two("34"), 7);
    EXPECT_EQ(sum_two("3x").error(), Error::Malformed);
    EXPECT_TRUE(chain(true).ok());
    EXPECT_EQ(chain(false).error(), Error::Busy);
}

TEST(Result, OwnsNonTrivialValues) {
    Result<std::string> s(std::string(100, 'a'));
    EXPECT_EQ(s->size(), 100u);
    Result<std::unique_ptr<int>> p(std::make_unique<int>(5));
    auto owned = p.release_value();
    EXPECT_EQ(*owned, 5);
}
