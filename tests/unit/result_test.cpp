// Result<T> and TRY: values, errors and early returns; move-only values; misuse stops the program.
#include "lib/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

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

namespace {
// A move-only value, like a TcpStream: owns something, counts what is still alive.
int g_alive = 0;
class Stream {
public:
    explicit Stream(int id) : m_id(id) { ++g_alive; }
    Stream(Stream&& other) : m_id(other.m_id) {
        other.m_id = -1;
        ++g_alive;
    }
    Stream& operator=(Stream&& other) {
        m_id = other.m_id;
        other.m_id = -1;
        return *this;
    }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream() { --g_alive; }
    int id() const { return m_id; }

private:
    int m_id;
};

Result<Stream> open_stream(int id) {
    if (id < 0) return Error::Refused;
    return Stream(id);
}
}  // namespace

TEST(Result, MoveOnlyValuesMoveAndAssign) {
    {
        Result<Stream> a = open_stream(1);
        static_assert(!std::is_copy_constructible_v<Result<Stream>>);
        Result<Stream> b(std::move(a));
        EXPECT_EQ(b->id(), 1);
        EXPECT_EQ(a->id(), -1);  // a keeps a moved-from value

        Result<Stream> c = open_stream(-1);
        c = std::move(b);  // error := value
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(c->id(), 1);
        c = open_stream(2);  // value := value
        EXPECT_EQ(c->id(), 2);
        c = open_stream(-1);  // value := error: the value is destroyed
        EXPECT_EQ(c.error(), Error::Refused);

        Stream owned = open_stream(3).release_value();
        EXPECT_EQ(owned.id(), 3);
    }
    EXPECT_EQ(g_alive, 0);  // every Stream constructed was destroyed once
}

TEST(Result, CopiesAndConstAccess) {
    const Result<std::string> r(std::string("hello"));
    EXPECT_EQ(*r, "hello");
    EXPECT_EQ(r->size(), 5u);
    EXPECT_EQ(r.value(), "hello");
    Result<std::string> copy = r;
    Result<std::string> other(Error::NotFound);
    other = copy;
    EXPECT_EQ(*other, "hello");
    other = Result<std::string>(Error::Busy);
    EXPECT_EQ(other.error(), Error::Busy);
    EXPECT_EQ(other.value_or("fallback"), "fallback");
}

TEST(ResultDeathTest, ValueOfAnErrorNamesTheCaller) {
    Result<int> e = parse_digit('x');
    // The line reported is this file's, not result.hpp's.
    EXPECT_DEATH((void)e.value(),
                 "value of a Result that holds an error \\(malformed\\).*result_test.cpp:[0-9]+");
    EXPECT_DEATH((void)open_stream(-1).release_value(),
                 "holds an error \\(refused\\).*result_test.cpp");
    EXPECT_DEATH((void)*e, "holds an error \\(malformed\\)");
    const Result<std::string> c(Error::Timeout);
    EXPECT_DEATH((void)c->size(), "holds an error \\(timeout\\)");
}

TEST(ResultDeathTest, NoneIsNotAnError) {
    EXPECT_DEATH(Result<int> r(Error::None), "made from Error::None.*result_test.cpp");
    Result<void> fine(Error::None);  // no value to mistake: plain success
    EXPECT_TRUE(fine.ok());
}
