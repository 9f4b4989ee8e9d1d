// SIGINT/SIGTERM with a blocked mask and ppoll(). Introduced in step02.
#include "stop_signals.hpp"

#include <poll.h>

#include <cerrno>
#include <csignal>

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
sigset_t g_wait_mask;  // the mask during ppoll(): stop signals let in

// Async-signal-safe: it only stores a number.
void on_stop_signal(int signal) { g_stop_signal = signal; }

}  // namespace

void block_stop_signals() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigset_t previous;
    ::pthread_sigmask(SIG_BLOCK, &stop, &previous);
    g_wait_mask = previous;
    sigdelset(&g_wait_mask, SIGINT);
    sigdelset(&g_wait_mask, SIGTERM);

    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

bool wait_for_client_or_stop(int listen_fd) {
    while (g_stop_signal == 0) {
        pollfd pfd{listen_fd, POLLIN, 0};
        int ready = ::ppoll(&pfd, 1, nullptr, &g_wait_mask);
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return true;  // let accept() report the error
    }
    return false;
}

int stop_signal_received() { return g_stop_signal; }
