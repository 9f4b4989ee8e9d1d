// Unit tests for poll_timeout_ms(): how the earliest connection deadline and
// the stop-check cap become poll()'s timeout. Time is passed in, so no test
// sleeps. Introduced in step03.
#include "poll_timeout.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const Clock::time_point kNow = Clock::time_point() + seconds(1000);
const std::optional<milliseconds> kCap = milliseconds(1000);
const std::optional<milliseconds> kNoCap = std::nullopt;

TEST(PollTimeout, NoDeadlineSleepsForTheCap) {
    EXPECT_EQ(poll_timeout_ms(kNow, std::nullopt, kCap), 1000);
}

TEST(PollTimeout, NoDeadlineAndNoCapSleepsUntilAnEvent) {
    EXPECT_EQ(poll_timeout_ms(kNow, std::nullopt, kNoCap), -1);
}

TEST(PollTimeout, PastDeadlineDoesNotSleep) {
    EXPECT_EQ(poll_timeout_ms(kNow, kNow - seconds(5), kCap), 0);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow - nanoseconds(1), kCap), 0);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow - seconds(5), kNoCap), 0);
}

TEST(PollTimeout, DeadlineExactlyNowDoesNotSleep) {
    EXPECT_EQ(poll_timeout_ms(kNow, kNow, kCap), 0);
}

TEST(PollTimeout, NearDeadlineWinsOverTheCap) {
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + milliseconds(250), kCap), 250);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + milliseconds(1000), kCap), 1000);
}

TEST(PollTimeout, CapSmallerThanTheDeadlineWins) {
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + seconds(15), kCap), 1000);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + seconds(15), milliseconds(10)), 10);
}

TEST(PollTimeout, WithoutCapTheDeadlineDecides) {
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + seconds(15), kNoCap), 15000);
}

// poll() counts whole milliseconds. Rounding down would wake the worker a
// hair before the deadline, find nothing due, and poll(0) in a busy loop.
TEST(PollTimeout, SubMillisecondRemaindersRoundUp) {
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + nanoseconds(1), kCap), 1);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + microseconds(999), kCap), 1);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + microseconds(1001), kCap), 2);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + microseconds(249'500), kCap), 250);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + microseconds(250'000), kCap), 250);
}

TEST(PollTimeout, ZeroCapMeansDoNotSleep) {
    EXPECT_EQ(poll_timeout_ms(kNow, std::nullopt, milliseconds(0)), 0);
    EXPECT_EQ(poll_timeout_ms(kNow, kNow + seconds(1), milliseconds(0)), 0);
}

}  // namespace
