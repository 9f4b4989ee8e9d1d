// Server: step01's model, the iterative server. One thread accepts a
// connection, reads one request, answers it and closes the connection, then
// accepts the next:
//
//   socket -> bind -> listen
//   loop:  accept -> read request -> respond -> close
//
// While it serves one client, every other client waits in the listen queue.
// Introduced in step01 (Tinyhttpd's main loop, without its threads).
#pragma once

#include <cstdint>
#include <string>

#include "listener.hpp"
#include "options.hpp"
#include "static_files.hpp"

class Server {
public:
    // Checks the root and opens the listening socket. Throws StartupError.
    explicit Server(const Options& options);

    std::uint16_t port() const { return listener_.port(); }
    std::string url() const;

    // Serves clients one after another, forever. Called by the main thread.
    [[noreturn]] void run();

private:
    void serve_connection(UniqueFd client, const std::string& peer);

    Listener listener_;
    StaticFiles files_;
};

// The canonical path of --root; throws StartupError if it is not a directory.
std::string canonical_root(const std::string& root);
