// Signals as wake-ups. Introduced in step02, changed in step03 and step04.
//
// A signal handler may only do async-signal-safe work. Here it does one
// thing: activate the main thread's Waker (a write(2) and an atomic), the
// self-pipe trick. The main thread, asleep in poll() on that Waker, then
// does the real work: quiesce or stop the server.
//
//   SIGINT, SIGTERM  -> "e"  stop gracefully
//   SIGUSR1          -> "q"  quiesce: stop accepting, finish what is open
#pragma once

#include "waker.hpp"

// Blocks the three signals. Call from the main thread before any other
// thread starts: threads inherit the mask, so only main will take them.
// Call it again once the last signal has been handled, before the Waker
// the handlers use is destroyed.
void block_control_signals();

// Installs the handlers, which activate `waker`, and unblocks the signals in
// the calling thread. `waker` must outlive the process's use of signals.
void route_control_signals_to(Waker& waker);
