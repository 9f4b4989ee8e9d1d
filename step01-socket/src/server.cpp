// The iterative server: accept, read one request, respond, close.
// Introduced in step01.
#include "server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include "errors.hpp"
#include "request_parser.hpp"
#include "socket_io.hpp"
#include "trace.hpp"

namespace {

constexpr std::size_t kReadChunk = 8192;

std::string describe_peer(const sockaddr_in& addr) {
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

}  // namespace

std::string canonical_root(const std::string& root) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(root.c_str(), nullptr), &std::free);
    if (!real) throw StartupError(errno_message("--root '" + root + "'"));
    struct stat st {};
    if (::stat(real.get(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw StartupError("--root '" + root + "' is not a directory");
    return real.get();
}

Server::Server(const Options& options)
    : listener_(options.host, options.port), files_(canonical_root(options.root)) {}

std::string Server::url() const {
    return "http://" + listener_.host() + ":" + std::to_string(listener_.port());
}

void Server::run() {
    for (;;) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        // accept() blocks until a client is in the listen queue. SOCK_CLOEXEC:
        // a CGI child (step05) must not inherit client sockets.
        int fd = ::accept4(listener_.fd(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            const int err = errno;  // log_error() may change errno
            log_error(errno_message("accept", err));
            if (err == EMFILE || err == ENFILE) ::poll(nullptr, 0, 100);  // let fds free up
            continue;
        }
        std::string who = describe_peer(peer);
        trace("accept", "fd=" + std::to_string(fd) + " peer=" + who);
        serve_connection(UniqueFd(fd), who);
    }
}

// Reads until one request is complete (never until EOF: the client waits for
// our answer before it closes), answers it, and closes the connection.
void Server::serve_connection(UniqueFd client, const std::string& peer) {
    const std::string id = "fd=" + std::to_string(client.get());
    RequestParser parser;
    char buffer[kReadChunk];
    while (parser.status() == RequestParser::Status::kNeedMore) {
        ssize_t n = ::recv(client.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // 0: the client closed; < 0: an error (e.g. ECONNRESET)
            trace("close", id + (n == 0 ? " client closed" : " read error") + " peer=" + peer);
            return;
        }
        trace("read", id + " bytes=" + std::to_string(n));
        parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    }

    Response response;
    if (parser.status() == RequestParser::Status::kError) {
        trace("parse", id + " error " + std::to_string(parser.error_status()) + " " +
                           parser.error_reason());
        response = error_response(parser.error_status(), parser.error_reason());
    } else {
        const Request& request = parser.request();
        trace("parse", id + " " + request.method + " " + request.target + " HTTP/1." +
                           std::to_string(request.version_minor));
        response = files_.handle(request);
        response.send_body = request.method != "HEAD";
        trace("handler", id + " status=" + std::to_string(response.status));
    }
    response.close = true;  // step01 answers one request per connection
    bool sent = send_response(client.get(), response);
    trace("write", id + (sent ? " done" : " failed (client gone)"));
    linger_before_close(client.get());
    trace("close", id);
}  // ~UniqueFd closes the connection
