// Server: step02's model, a thread per connection. The main thread only
// accepts; each accepted connection gets its own thread, which reads and
// answers requests on it, one after another, for as long as the client
// keeps the connection open (HTTP/1.1 persistent connections):
//
//   socket -> bind -> listen
//   main thread:  loop { wait (ppoll) -> accept -> start a thread }
//   each thread:  loop { read request -> respond } until close or timeout
//
// A slow client now blocks only its own thread. The price: one thread (and
// its stack) per open connection, idle or not. Introduced in step01,
// changed in step02 (libmicrohttpd: MHD_USE_THREAD_PER_CONNECTION).
#pragma once

#include <cstdint>
#include <string>

#include "connection_threads.hpp"
#include "listener.hpp"
#include "options.hpp"
#include "static_files.hpp"

class Server {
public:
    // Checks the root and opens the listening socket. Throws StartupError.
    explicit Server(const Options& options);

    std::uint16_t port() const { return listener_.port(); }
    std::string url() const;

    // Accepts and starts connection threads until SIGINT or SIGTERM, then
    // stops every connection and joins every thread. Main thread only.
    void run();

private:
    void serve_connection(int client, const std::string& peer);

    Listener listener_;
    StaticFiles files_;
    int timeout_seconds_;
    std::size_t max_connections_;
    ConnectionThreads threads_;
};

// The canonical path of --root; throws StartupError if it is not a directory.
std::string canonical_root(const std::string& root);
