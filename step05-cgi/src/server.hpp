// Server: step04's model, libmicrohttpd's internal polling thread pool with
// an inter-thread communication channel (ITC) in every worker, and a small
// embedding API like libmicrohttpd's.
//
//   MHD_start_daemon_va                       Server::Server
//     socket, setsockopt, bind, listen          Listener (non-blocking)
//     for each of N workers:                    for each of N workers:
//       copy the daemon's settings                ConnectionSettings copy
//       MHD_itc_init_                             Waker (in Worker)
//       MHD_create_named_thread_(                 Worker::start() runs
//         MHD_select_thread)                        Worker::run()
//   MHD_quiesce_daemon     ("q")              Server::quiesce()
//   MHD_add_connection     ("n")              Server::add_connection()
//   MHD_stop_daemon        ("e")              Server::stop()
//
// Introduced in step01, changed in step03 (the pool), step04 (the ITC) and
// step05 (CGI settings).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connection.hpp"
#include "listener.hpp"
#include "worker.hpp"

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    int threads = 4;
    std::size_t pool_size = 32 * 1024;
    int timeout_seconds = 15;
    int max_connections = 16384;
    int cgi_timeout_seconds = 30;  // step05
    CgiLaunchMethod cgi_launch = CgiLaunchMethod::kFork;  // step05
};

class Server {
public:
    // Opens the listening socket and starts the workers. Throws StartupError.
    // `handler` is called on the worker threads, concurrently.
    Server(const ServerOptions& options, AccessHandler handler);
    ~Server() { stop(); }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const;

    // MHD_stop_daemon: wakes every worker ("e") at once. Idle connections
    // close now; requests in flight get their response (within a grace
    // period), then every worker is joined. Any thread but a worker.
    void stop();

    // MHD_quiesce_daemon: every worker stops accepting ("q") and confirms;
    // then the listening socket is handed back (the caller may close it, so
    // that new clients are refused, or give it to a new server). Existing
    // connections are still served. Any thread but a worker; once.
    UniqueFd quiesce();

    // MHD_add_connection: serve a socket accepted elsewhere. It goes to the
    // workers in turn, each woken with "n". Any thread but a worker.
    void add_connection(UniqueFd socket, std::string peer);

private:
    Listener listener_;
    std::uint16_t port_;
    std::string host_;
    AccessHandler handler_;
    PoolControl control_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::size_t next_worker_ = 0;  // round robin for add_connection
};

// The canonical path of --root; throws StartupError if it is not a directory.
std::string canonical_root(const std::string& root);
