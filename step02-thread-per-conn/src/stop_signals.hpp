// Stopping on SIGINT/SIGTERM without races. Introduced in step02.
//
// The signals stay blocked in every thread, so none is interrupted at a bad
// moment. Only the accept loop lets them in, and only while it waits, with
// ppoll(): the unblock and the wait are one atomic step, so a signal that
// arrives just before the wait is not lost (it interrupts the wait at once).
#pragma once

// Blocks SIGINT and SIGTERM and installs their handler. Call from the main
// thread before any other thread starts (threads inherit the blocked mask).
void block_stop_signals();

// Waits until `listen_fd` is readable (a client is waiting) or a stop signal
// arrives. Returns false once a stop was requested. Main thread only.
bool wait_for_client_or_stop(int listen_fd);

// The signal that stopped the server, or 0.
int stop_signal_received();
