// SIGINT/SIGTERM/SIGUSR1 handlers that only wake the main thread.
// Introduced in step02, changed in step03 and step04.
#include "stop_signals.hpp"

#include <cerrno>
#include <csignal>

namespace {

Waker* g_waker = nullptr;  // set before the handlers are installed

sigset_t control_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    return set;
}

// Async-signal-safe: Waker::activate() is an atomic or and a write(2).
// errno is saved: the interrupted code may be about to read it.
void on_control_signal(int signal) {
    const int saved_errno = errno;
    g_waker->activate(signal == SIGUSR1 ? 'q' : 'e');
    errno = saved_errno;
}

}  // namespace

void block_control_signals() {
    sigset_t set = control_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void route_control_signals_to(Waker& waker) {
    g_waker = &waker;
    struct sigaction action {};
    action.sa_handler = on_control_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGINT, SIGTERM, SIGUSR1}) ::sigaction(signal, &action, nullptr);
    sigset_t set = control_signals();
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}
