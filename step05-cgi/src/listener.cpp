// Listener: socket, SO_REUSEADDR, bind, listen, getsockname. Introduced in step01.
#include "listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "errors.hpp"

namespace {

// The kernel caps the queue at net.core.somaxconn (4096 on current Linux).
// Tinyhttpd's listen(fd, 5) drops connections as soon as a burst arrives.
constexpr int kListenBacklog = SOMAXCONN;

}  // namespace

Listener::Listener(const std::string& host, std::uint16_t port) : host_(host) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
        throw StartupError("--host '" + host + "' is not an IPv4 address");

    // SOCK_CLOEXEC: a child process (step05's CGI) must never inherit it.
    // SOCK_NONBLOCK: every worker polls it, and when several wake for one
    // client the losers' accept() must return EAGAIN, not block (step03).
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd_) throw StartupError(errno_message("socket"));

    // Without SO_REUSEADDR a restarted server cannot bind its port while old
    // connections sit in TIME_WAIT, for up to a minute.
    int one = 1;
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        throw StartupError(errno_message("setsockopt(SO_REUSEADDR)"));

    const std::string where = host + ":" + std::to_string(port);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        std::string hint;
        if (err == EACCES && port < 1024) hint = " (ports below 1024 need root; try --port 8080)";
        if (err == EADDRINUSE) hint = " (another server uses it; try --port 0 for a free port)";
        throw StartupError(errno_message("cannot bind " + where, err) + hint);
    }
    if (::listen(fd_.get(), kListenBacklog) != 0)
        throw StartupError(errno_message("listen on " + where));

    // With port 0 the kernel chose a port; ask which one.
    socklen_t len = sizeof addr;
    if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw StartupError(errno_message("getsockname"));
    port_ = ntohs(addr.sin_port);
}
