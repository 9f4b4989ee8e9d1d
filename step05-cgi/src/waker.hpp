// Waker: a worker's inter-thread communication channel (libmicrohttpd's
// ITC). Any thread, or a signal handler, wakes a worker blocked in poll()
// by making one descriptor readable. Introduced in step04.
//
//   producer (any thread)              worker thread
//   ---------------------              -------------
//   state change (queue, flag)
//   activate('r') --write 1-->  [fd]   poll() returns: fd readable
//                                      clear()   (drain: fd not readable)
//                                      act on the state, whatever the letter
//
// Order matters: the producer changes the state first, then activates; the
// consumer clears first, then reads the state. Whatever happens in between,
// a change is never left unseen with the fd quiet (no lost wake-up).
//
// Two backends with libmicrohttpd's verbs (MHD_itc_init_, MHD_itc_activate_,
// MHD_itc_clear_): eventfd on Linux (one fd, a counter) and a pipe elsewhere
// (two fds, bytes). Both are non-blocking and close-on-exec. The letter
// names the reason ("e" end, "q" quiesce, "r" resume, "n" new connection)
// for --trace; the consumer never depends on it.
#pragma once

#include <atomic>
#include <string>

#include "unique_fd.hpp"

// The reasons seen since the last clear(), as a set of letters.
class WakeReasons {
public:
    void add(char reason);          // async-signal-safe (a lock-free atomic)
    std::string take();             // e.g. "er"; empties the set
private:
    std::atomic<unsigned> bits_{0};
};

class EventfdWaker {
public:
    EventfdWaker();  // MHD_itc_init_; throws StartupError
    int poll_fd() const { return fd_.get(); }
    // MHD_itc_activate_: any thread or a signal handler (only write(2) and
    // an atomic). Many activations before one clear() wake poll() once.
    void activate(char reason);
    // MHD_itc_clear_: the owning worker, after poll(). Returns the reasons.
    std::string clear();

private:
    UniqueFd fd_;
    WakeReasons reasons_;
};

class PipeWaker {
public:
    PipeWaker();  // MHD_itc_init_; throws StartupError
    int poll_fd() const { return read_end_.get(); }
    void activate(char reason);
    std::string clear();

private:
    UniqueFd read_end_;
    UniqueFd write_end_;
    WakeReasons reasons_;
};

// Chosen at build time. -DSTEPHTTPD_PIPE_WAKER builds the pipe version on
// Linux too; the unit tests exercise both.
#if defined(__linux__) && !defined(STEPHTTPD_PIPE_WAKER)
using Waker = EventfdWaker;
#else
using Waker = PipeWaker;
#endif
