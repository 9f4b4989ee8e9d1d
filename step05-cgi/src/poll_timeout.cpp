// Deadline -> poll() timeout. Introduced in step03.
#include "poll_timeout.hpp"

#include <algorithm>

int poll_timeout_ms(Clock::time_point now, std::optional<Clock::time_point> earliest_deadline,
                    std::optional<std::chrono::milliseconds> cap) {
    std::optional<std::chrono::milliseconds> wait = cap;
    if (earliest_deadline) {
        if (*earliest_deadline <= now) return 0;
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*earliest_deadline - now);
        wait = wait ? std::min(*wait, left) : left;
    }
    return wait ? static_cast<int>(wait->count()) : -1;
}
