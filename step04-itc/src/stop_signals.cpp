// SIGINT/SIGTERM taken with sigwait(). Introduced in step02, changed in step03.
#include "stop_signals.hpp"

#include <csignal>

namespace {

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

}  // namespace

void block_stop_signals() {
    sigset_t set = stop_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
    sigset_t set = stop_signals();
    int signal = 0;
    while (::sigwait(&set, &signal) != 0) {
    }
    return signal;
}
