// How long a worker's poll() may sleep: until the earliest connection
// deadline, and never longer than `cap` (step03 must wake up now and then
// to see whether it was asked to stop). Introduced in step03.
#pragma once

#include <chrono>
#include <optional>

using Clock = std::chrono::steady_clock;

// Milliseconds for poll(): 0 when the deadline has passed, the time left
// rounded up (so poll never wakes a hair before the deadline), at most `cap`.
int poll_timeout_ms(Clock::time_point now, std::optional<Clock::time_point> earliest_deadline,
                    std::chrono::milliseconds cap);
