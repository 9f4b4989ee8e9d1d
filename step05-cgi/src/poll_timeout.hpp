// How long a worker's poll() may sleep: until the earliest connection
// deadline, and never longer than `cap` when there is one. step03 passes a
// cap (it must wake up now and then to see whether it was asked to stop);
// step04, which can wake a worker, passes none. Introduced in step03.
#pragma once

#include <chrono>
#include <optional>

using Clock = std::chrono::steady_clock;

// Milliseconds for poll(): 0 when the deadline has passed, the time left
// rounded up (so poll never wakes a hair before the deadline), at most `cap`;
// -1 (sleep until an event) with neither a deadline nor a cap.
int poll_timeout_ms(Clock::time_point now, std::optional<Clock::time_point> earliest_deadline,
                    std::optional<std::chrono::milliseconds> cap);
