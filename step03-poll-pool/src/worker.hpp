// Worker: one thread of the pool, running libmicrohttpd's MHD_select_thread
// loop with poll(). Introduced in step03.
//
// Every worker polls the same listening socket and its own connections:
//
//   pollfd[0]      the shared listening socket   -> accept_connection()
//   pollfd[1..n]   this worker's connections     -> call_handlers()
//
//   loop until stop:
//       poll_all()               poll, accept, call handlers, check deadlines
//       cleanup_connections()    free connections that closed this round
//   close_all_connections()
//
// When a client connects, every worker's poll wakes (the thundering herd);
// one accept() wins, the others get EAGAIN and go back to sleep.
// A worker's connections are touched only by its own thread.
#pragma once

#include <poll.h>

#include <atomic>
#include <list>
#include <memory>
#include <thread>
#include <vector>

#include "connection.hpp"

// What the Server shares with all its workers.
struct PoolControl {
    std::atomic<bool> stop{false};              // set by Server::stop()
    std::atomic<std::size_t> connections{0};    // open, across all workers
    std::size_t max_connections = 16384;        // --max-connections
};

class Worker {
public:
    // `settings` is copied: each worker has its own (MHD copies the daemon
    // into each worker context). `handler` and `control` outlive the worker.
    Worker(int listen_fd, ConnectionSettings settings, const AccessHandler& handler,
           PoolControl& control);
    ~Worker() { join(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start();  // MHD_create_named_thread_(..., MHD_select_thread, ...)
    void join();

private:
    void run();                                  // MHD_select_thread
    void poll_all();                             // MHD_poll_all
    void accept_connection(Clock::time_point now);  // MHD_accept_connection
    void add_connection(UniqueFd socket, std::string peer, Clock::time_point now);
    void call_handlers(Connection& connection, short revents, Clock::time_point now);
    void cleanup_connections();                  // MHD_cleanup_connections
    void close_all_connections();                // close_all_connections
    std::optional<Clock::time_point> earliest_deadline() const;
    std::string name() const;

    const int listen_fd_;
    const ConnectionSettings settings_;
    const AccessHandler& handler_;
    PoolControl& control_;
    std::thread thread_;

    // The worker's connections, a doubly linked list as in libmicrohttpd
    // (connections_head / connections_tail, DLL_insert).
    std::list<std::unique_ptr<Connection>> connections_;
    std::vector<pollfd> poll_set_;       // rebuilt each round
    std::vector<Connection*> polled_;    // polled_[i] owns poll_set_[i + 1]
    Clock::time_point accept_paused_until_{};  // after EMFILE, see accept_connection
};
