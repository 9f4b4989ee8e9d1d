// Server: step03's model, libmicrohttpd's internal polling thread pool, with
// a small embedding API like libmicrohttpd's: start it with options and an
// access handler, stop it.
//
//   MHD_start_daemon_va                       Server::Server
//     socket, setsockopt, bind, listen          Listener (non-blocking)
//     for each of N workers:                    for each of N workers:
//       copy the daemon's settings                ConnectionSettings copy
//       MHD_create_named_thread_(                 Worker::start() runs
//         MHD_select_thread)                        Worker::run()
//   MHD_stop_daemon                           Server::stop()
//
// Introduced in step01, changed in step03 (the thread pool).
#pragma once

#include <atomic>
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
};

class Server {
public:
    // Opens the listening socket and starts the workers. Throws StartupError.
    // `handler` is called on the worker threads, concurrently.
    Server(const ServerOptions& options, AccessHandler handler);
    ~Server() { stop(); }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const { return listener_.port(); }
    std::string url() const;

    // Asks every worker to stop and joins them. Without a way to wake a
    // worker's poll(), each one notices only when its poll() times out:
    // this call can take up to a second. Call from one thread (not a worker).
    void stop();

private:
    Listener listener_;
    AccessHandler handler_;
    PoolControl control_;
    std::vector<std::unique_ptr<Worker>> workers_;
};

// The canonical path of --root; throws StartupError if it is not a directory.
std::string canonical_root(const std::string& root);
