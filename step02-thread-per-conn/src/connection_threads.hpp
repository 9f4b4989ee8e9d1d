// ConnectionThreads: step02's bookkeeping of one thread per connection.
// Introduced in step02 (libmicrohttpd: MHD_USE_THREAD_PER_CONNECTION).
//
// Every thread is accounted for: it is registered before it runs, it moves
// itself to the "finished" list when its connection ends, and the accept
// loop joins finished threads. Tinyhttpd creates threads and never joins or
// detaches them, so their stacks leak until pthread_create fails.
//
//   accept loop (main thread)            connection thread
//   -------------------------            -----------------
//   start(fd) ──registers──────────────> serve(fd) ... returns
//                                        lock; close fd; move self to finished_
//   join_finished() <── joins ────────── (exited)
//   stop_all(): shutdown(fd, SHUT_RD) on every open connection, join all
//               (SHUT_RDWR after a grace period, for stalled writers)
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "unique_fd.hpp"

class ConnectionThreads {
public:
    using Serve = std::function<void(int fd)>;

    ConnectionThreads() = default;
    ~ConnectionThreads() { stop_all(); }
    ConnectionThreads(const ConnectionThreads&) = delete;
    ConnectionThreads& operator=(const ConnectionThreads&) = delete;

    // Starts a thread that runs serve(fd) and then closes the connection.
    // On success the thread owns the descriptor and `client` is left empty;
    // the thread gets the number by value, never a pointer to a variable
    // the accept loop reuses. Throws std::system_error when no thread can
    // be created; `client` then still owns the descriptor.
    void start(UniqueFd& client, Serve serve);

    // Joins the threads whose connections have ended. Accept loop only.
    void join_finished();

    // Wakes every connection (shutdown(SHUT_RD): a blocked recv() returns 0,
    // a response being written still completes, for up to 2 s; then
    // SHUT_RDWR ends it), then joins all threads. Accept loop only, after
    // it stopped accepting.
    void stop_all();

    std::size_t active() const;

private:
    struct Running {
        std::thread thread;
        int fd;
    };

    void finish(std::uint64_t id, UniqueFd& client);

    mutable std::mutex mutex_;
    std::condition_variable all_done_;
    std::map<std::uint64_t, Running> running_;  // guarded by mutex_
    std::vector<std::thread> finished_;         // guarded by mutex_
    std::uint64_t next_id_ = 0;                 // guarded by mutex_
};
