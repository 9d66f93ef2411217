// Gathered output over a pool: a connection holds a buffer only while it has unsent bytes, a
// batch leaves in one write, big pieces go straight through, and the pool reuses what comes back.
#include <gtest/gtest.h>

#include <string>

#include "lib/buffer_pool.hpp"
#include "lib/output.hpp"
#include "tests/unit/string_sink.hpp"

namespace coronet {
namespace {

using testing::StringSink;

TEST(BufferPool, ReusesGivenBackBuffersUpToTheCacheLimit) {
    BufferPool pool(64, 2);
    char* a = pool.take();
    char* b = pool.take();
    char* c = pool.take();
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(pool.stats().in_use, 3u);
    pool.give(a);
    pool.give(b);
    pool.give(c);  // over the cache limit: freed
    EXPECT_EQ(pool.stats().in_use, 0u);
    EXPECT_EQ(pool.stats().cached, 2u);
    EXPECT_EQ(pool.stats().peak_in_use, 3u);
    char* again = pool.take();
    EXPECT_TRUE(again == a || again == b);  // from the cache, not malloc
    EXPECT_EQ(pool.stats().cached, 1u);
    pool.give(again);
}

TEST(PooledOutput, HoldsABufferOnlyWhileBytesAreUnsent) {
    BufferPool pool(64, 4);
    StringSink sink;
    Output output(sink, pool);
    EXPECT_EQ(output.bytes_held(), 0u);
    ASSERT_TRUE(output.append("HTTP/1.1 200 OK\r\n").ok());
    ASSERT_TRUE(output.append_decimal(1234).ok());
    EXPECT_EQ(output.bytes_held(), 64u);
    EXPECT_EQ(pool.stats().in_use, 1u);
    EXPECT_EQ(sink.writes, 0);  // gathered, not written yet
    ASSERT_TRUE(output.flush().ok());
    EXPECT_EQ(sink.data, "HTTP/1.1 200 OK\r\n1234");
    EXPECT_EQ(sink.writes, 1);
    EXPECT_EQ(output.bytes_held(), 0u);
    EXPECT_EQ(pool.stats().in_use, 0u);
    ASSERT_TRUE(output.flush().ok());  // nothing to send: no write, no buffer
    EXPECT_EQ(sink.writes, 1);
    EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(PooledOutput, BigPiecesGoStraightThroughInOrder) {
    BufferPool pool(16, 4);
    StringSink sink;
    Output output(sink, pool);
    ASSERT_TRUE(output.append("head:").ok());
    std::string big(40, 'x');
    ASSERT_TRUE(output.append(big).ok());  // flushes "head:" first, then writes through
    EXPECT_EQ(sink.data, "head:" + big);
    EXPECT_EQ(output.bytes_held(), 0u);
    ASSERT_TRUE(output.append("tail").ok());
    ASSERT_TRUE(output.flush().ok());
    EXPECT_EQ(sink.data, "head:" + big + "tail");
    EXPECT_EQ(output.total(), 5 + big.size() + 4);
}

TEST(PooledOutput, AFailedWriteGivesTheBufferBackAndKeepsNothing) {
    BufferPool pool(64, 4);
    StringSink sink;
    Output output(sink, pool);
    ASSERT_TRUE(output.append("lost").ok());
    sink.fail = true;
    EXPECT_EQ(output.flush().error(), Error::Reset);
    EXPECT_EQ(pool.stats().in_use, 0u);
    sink.fail = false;
    ASSERT_TRUE(output.append("next").ok());
    ASSERT_TRUE(output.flush().ok());
    EXPECT_EQ(sink.data, "next");
}

TEST(PooledOutput, DestroyingWithUnsentBytesReturnsTheBuffer) {
    BufferPool pool(64, 4);
    StringSink sink;
    {
        Output output(sink, pool);
        ASSERT_TRUE(output.append("abandoned").ok());
        EXPECT_EQ(pool.stats().in_use, 1u);
    }
    EXPECT_EQ(pool.stats().in_use, 0u);
    EXPECT_TRUE(sink.data.empty());
}

}  // namespace
}  // namespace coronet
