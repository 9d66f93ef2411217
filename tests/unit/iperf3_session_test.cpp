// An iperf3 test's bookkeeping: who is admitted when, which way each stream sends, counts
// frozen at the end, -O, -n / -k and -b, the results' times.
#include <gtest/gtest.h>

#include "apps/iperf3/session.hpp"

namespace coronet::iperf3 {
namespace {

const std::string_view kCookie = "abcdefghijklmnopqrstuvwxyz2345674567";
const std::string_view kOther = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";

TestParameters params(Direction direction, uint32_t parallel) {
    TestParameters p;
    p.direction = direction;
    p.parallel = parallel;
    p.duration_s = 3;
    return p;
}

TEST(Iperf3Session, AdmissionFollowsThePhases) {
    EXPECT_TRUE(reads_cookie(nullptr));
    EXPECT_EQ(admit(nullptr, kCookie), Admission::Control);

    Session session(kCookie);
    EXPECT_EQ(session.cookie(), kCookie);
    EXPECT_EQ(session.phase(), Phase::Parameters);
    // Waiting for parameters: a newcomer is denied without reading it, whatever it would say.
    EXPECT_FALSE(reads_cookie(&session));
    EXPECT_EQ(admit(&session, kCookie), Admission::Denied);
    EXPECT_FALSE(session.attach(kCookie));

    session.configure(params(Direction::ToServer, 2));
    EXPECT_EQ(session.phase(), Phase::Streams);
    EXPECT_TRUE(reads_cookie(&session));
    EXPECT_EQ(admit(&session, kOther), Admission::Denied);  // a second client
    EXPECT_FALSE(session.attach(kOther));
    EXPECT_EQ(admit(&session, kCookie), Admission::Stream);
    EXPECT_EQ(session.attach(kCookie), 0u);
    EXPECT_FALSE(session.all_attached());
    EXPECT_EQ(session.attach(kCookie), 1u);
    EXPECT_TRUE(session.all_attached());
    EXPECT_EQ(admit(&session, kCookie), Admission::Denied);  // one more than asked for
    EXPECT_FALSE(session.attach(kCookie));

    session.start(1000);
    EXPECT_EQ(session.phase(), Phase::Running);
    EXPECT_FALSE(reads_cookie(&session));
    EXPECT_EQ(admit(&session, kCookie), Admission::Denied);
    session.end(2000);
    EXPECT_EQ(session.phase(), Phase::Results);
    EXPECT_EQ(admit(&session, kCookie), Admission::Denied);
    session.finish();
    EXPECT_EQ(session.phase(), Phase::Finished);
    EXPECT_STREQ(phase_name(Phase::Running), "running");
}

TEST(Iperf3Session, DirectionsPerStream) {
    Session normal(kCookie);
    normal.configure(params(Direction::ToServer, 2));
    EXPECT_FALSE(normal.server_sends(0));
    EXPECT_FALSE(normal.server_sends(1));

    Session reverse(kCookie);
    reverse.configure(params(Direction::ToClient, 2));
    EXPECT_TRUE(reverse.server_sends(0));

    // --bidir: the client connects its sending streams first.
    Session both(kCookie);
    both.configure(params(Direction::Both, 3));
    EXPECT_EQ(both.expected(), 6u);
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(both.server_sends(i), i >= 3) << i;
}

TEST(Iperf3Session, CountsUntilTheEndOnly) {
    Session session(kCookie);
    session.configure(params(Direction::Both, 1));
    ASSERT_TRUE(session.attach(kCookie));
    ASSERT_TRUE(session.attach(kCookie));
    session.count(0, 10);  // before the start: not counted
    session.start(s_to_ns(100));
    session.count(0, 1000);
    session.count(1, 400);
    session.count(5, 99);  // no such stream
    EXPECT_EQ(session.bytes_received(), 1000u);
    EXPECT_EQ(session.bytes_sent(), 400u);
    session.end(s_to_ns(103) + us_to_ns(412));
    session.count(0, 5000);  // after TEST_END: the results are final
    EXPECT_EQ(session.bytes_received(), 1000u);
    EXPECT_EQ(session.measured_ns(), s_to_ns(3) + us_to_ns(412));
    StreamResult out[4];
    ASSERT_EQ(session.results(out, 4), 2u);
    EXPECT_EQ(out[0].id, 1u);
    EXPECT_FALSE(out[0].sender);
    EXPECT_EQ(out[0].bytes, 1000u);
    EXPECT_EQ(out[0].duration_us, 3000412u);
    EXPECT_EQ(out[1].id, 3u);
    EXPECT_TRUE(out[1].sender);
    EXPECT_EQ(out[1].bytes, 400u);
    EXPECT_EQ(session.results(out, 1), 1u);
}

TEST(Iperf3Session, OmittedSecondsAreLeftOut) {
    TestParameters p = params(Direction::ToServer, 1);
    p.omit_s = 2;
    Session session(kCookie);
    session.configure(p);
    ASSERT_TRUE(session.attach(kCookie));
    EXPECT_EQ(session.omit_until(), 0u);
    session.start(s_to_ns(10));
    EXPECT_EQ(session.omit_until(), s_to_ns(12));
    session.count(0, 700);
    session.omit_over(s_to_ns(12));
    EXPECT_EQ(session.omit_until(), 0u);
    session.count(0, 300);
    session.end(s_to_ns(15));
    StreamResult out[1];
    ASSERT_EQ(session.results(out, 1), 1u);
    EXPECT_EQ(out[0].bytes, 300u);
    EXPECT_EQ(out[0].duration_us, 3000000u);
    EXPECT_EQ(session.measured_bytes(), 300u);
    EXPECT_EQ(session.bytes_received(), 1000u);  // /status counts every byte
}

TEST(Iperf3Session, ByteAndBlockLimitsStopTheSenders) {
    TestParameters p = params(Direction::ToClient, 2);
    p.duration_s = 0;
    p.bytes = 1000;
    Session bytes(kCookie);
    bytes.configure(p);
    ASSERT_TRUE(bytes.attach(kCookie));
    ASSERT_TRUE(bytes.attach(kCookie));
    EXPECT_FALSE(bytes.may_send_block());  // not started
    bytes.start(0);
    EXPECT_TRUE(bytes.may_send_block());
    bytes.count(0, 600);
    EXPECT_TRUE(bytes.may_send_block());
    bytes.count(1, 400);  // both streams together, as iperf3 counts
    EXPECT_FALSE(bytes.may_send_block());

    p.bytes = 0;
    p.blocks = 3;
    Session blocks(kCookie);
    blocks.configure(p);
    ASSERT_TRUE(blocks.attach(kCookie));
    blocks.start(0);
    blocks.count_block();
    blocks.count_block();
    EXPECT_TRUE(blocks.may_send_block());
    blocks.count_block();
    EXPECT_FALSE(blocks.may_send_block());
    blocks.end(1);
    EXPECT_FALSE(blocks.may_send_block());
}

TEST(Iperf3Session, RatePacesEachStream) {
    TestParameters p = params(Direction::ToClient, 2);
    p.rate_bps = 8'000'000;  // a megabyte a second
    Session session(kCookie);
    session.configure(p);
    ASSERT_TRUE(session.attach(kCookie));
    ASSERT_TRUE(session.attach(kCookie));
    session.start(s_to_ns(5));
    EXPECT_EQ(session.send_due(0), s_to_ns(5));
    session.count(0, 1'500'000);
    EXPECT_EQ(session.send_due(0), s_to_ns(5) + ms_to_ns(1500));
    EXPECT_EQ(session.send_due(1), s_to_ns(5));  // its own pace
    EXPECT_EQ(session.send_due(7), 0u);

    Session unpaced(kCookie);
    unpaced.configure(params(Direction::ToClient, 1));
    ASSERT_TRUE(unpaced.attach(kCookie));
    unpaced.start(1);
    unpaced.count(0, 1 << 30);
    EXPECT_EQ(unpaced.send_due(0), 0u);
}

TEST(Iperf3Session, AnEarlyEndBeforeTheStartCountsNothing) {
    Session session(kCookie);
    session.configure(params(Direction::ToServer, 4));
    ASSERT_TRUE(session.attach(kCookie));
    session.end(100);  // not running: nothing to end
    EXPECT_EQ(session.phase(), Phase::Streams);
    EXPECT_EQ(session.measured_ns(), 0u);
    StreamResult out[4];
    ASSERT_EQ(session.results(out, 4), 1u);
    EXPECT_EQ(out[0].bytes, 0u);
}

}  // namespace
}  // namespace coronet::iperf3
