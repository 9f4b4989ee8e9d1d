// Waiting for SIGINT/SIGTERM. Introduced in step02, changed in step03.
//
// The signals stay blocked in every thread, so none is interrupted at a bad
// moment. The main thread, which has nothing else to do once the workers
// run, takes them synchronously with sigwait(): no handler at all.
#pragma once

// Blocks SIGINT and SIGTERM. Call from the main thread before any other
// thread starts (threads inherit the blocked mask).
void block_stop_signals();

// Sleeps until SIGINT or SIGTERM arrives and returns its number. Main thread.
int wait_for_stop_signal();
