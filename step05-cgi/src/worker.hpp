// Worker: one thread of the pool, running libmicrohttpd's MHD_select_thread
// loop with poll(), with an inter-thread communication channel (step04) and
// the pipes of running CGI programs (step05).
// Introduced in step03, changed in step04 and step05.
//
// Every worker polls the same listening socket, its own Waker and its own
// connections:
//
//   pollfd[0]      the shared listening socket   -> accept_connection()
//   pollfd[1]      this worker's Waker (ITC)      -> handle_wakeup()
//   pollfd[2..n]   this worker's connections     -> call_handlers()
//                  each followed, while a CGI program runs for it, by the
//                  program's stdin, stdout and pidfd -> handle_cgi()
//   then           pidfds of killed programs      -> ChildReaper
//
//   loop until stopped and drained:
//       poll_all()               poll (no timeout when nothing is due),
//                                accept, wake-ups, handlers, deadlines
//       cleanup_connections()    free connections that closed this round
//   close_all_connections()
//
// Other threads never touch the connections: they change a flag or a
// queue, then activate the Waker (MHD_itc_activate_).
#pragma once

#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cgi_process.hpp"
#include "connection.hpp"
#include "suspension.hpp"
#include "waker.hpp"

// What the Server tells its workers. Written by the controlling thread,
// read by workers after their Waker fired.
struct PoolControl {
    std::atomic<bool> stop{false};              // "e": finish in-flight responses, then exit
    std::atomic<bool> quiesce{false};           // "q": stop accepting, keep serving
    std::atomic<std::size_t> connections{0};    // open, across all workers
    std::size_t max_connections = 16384;        // --max-connections
    std::mutex mutex;
    std::condition_variable changed;
    int quiesced_workers = 0;          // guarded by mutex
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

    // Any thread: wake this worker's poll() (MHD_itc_activate_).
    void wake(char reason) { waker_.activate(reason); }

    // Any thread: hand an accepted socket to this worker ("n"); the
    // worker adds it to its connections (MHD_add_connection).
    void hand_over(UniqueFd socket, std::string peer);

private:
    void run();                                     // MHD_select_thread
    void poll_all();                                // MHD_poll_all
    void handle_wakeup(Clock::time_point now);      // MHD_itc_clear_ and act
    void accept_connection(Clock::time_point now);  // MHD_accept_connection
    void add_connection(UniqueFd socket, std::string peer, Clock::time_point now);
    void call_handlers(Connection& connection, short revents, Clock::time_point now);
    void cleanup_connections();                     // MHD_cleanup_connections
    void close_all_connections();                   // close_all_connections
    std::optional<Clock::time_point> earliest_deadline() const;
    bool finished(Clock::time_point now) const;
    std::string name() const;

    const int listen_fd_;
    ConnectionSettings settings_;
    const AccessHandler& handler_;
    PoolControl& control_;
    Waker waker_;  // MHD_itc_init_
    ResumeQueue resume_queue_;
    ChildReaper reaper_;  // declared before connections_: it outlives them
    std::thread thread_;

    std::mutex incoming_mutex_;
    std::vector<std::pair<UniqueFd, std::string>> incoming_;  // guarded by incoming_mutex_

    // Touched by the worker thread only.
    std::list<std::unique_ptr<Connection>> connections_;
    std::vector<pollfd> poll_set_;       // rebuilt each round
    // Which poll_set_ entries belong to which connection: the socket at
    // `first`, then `count - 1` descriptors of its CGI program.
    struct Polled {
        Connection* connection;
        std::size_t first;
        std::size_t count;
    };
    std::vector<Polled> polled_;
    std::size_t reaper_first_ = 0;  // where the reaper's pidfds start
    Clock::time_point accept_paused_until_{};  // after EMFILE, see accept_connection
    bool accepting_ = true;    // false after quiesce or stop
    bool quiesced_ = false;    // acknowledged a quiesce request
    bool stopping_ = false;
    Clock::time_point drain_deadline_{};
};
