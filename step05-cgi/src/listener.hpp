// Listener: the listening socket. socket -> setsockopt -> bind -> listen,
// then getsockname to learn the port when 0 was asked for (as Tinyhttpd's
// startup() does). Introduced in step01; libmicrohttpd's counterpart is
// MHD_socket_create_listen_ plus the bind/listen calls in MHD_start_daemon_va.
// Changed in step03: the socket is non-blocking.
#pragma once

#include <cstdint>
#include <string>

#include "unique_fd.hpp"

class Listener {
public:
    // Binds host:port and listens. Throws StartupError with the errno text
    // (e.g. "cannot bind 127.0.0.1:8080: Address already in use").
    // Called once, by the main thread, before any connection exists.
    Listener(const std::string& host, std::uint16_t port);

    int fd() const { return fd_.get(); }

    // Gives the socket away (MHD_quiesce_daemon returns it to the caller);
    // the Listener no longer owns it. Changed in step04.
    UniqueFd release() { return std::move(fd_); }
    std::uint16_t port() const { return port_; }
    const std::string& host() const { return host_; }

private:
    UniqueFd fd_;
    std::string host_;
    std::uint16_t port_ = 0;
};
