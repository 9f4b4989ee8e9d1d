// The thread-per-connection server: the accept loop, and the loop of
// requests on one persistent connection. Introduced in step01, changed in step02.
#include "server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "stop_signals.hpp"
#include "trace.hpp"

namespace {

constexpr std::size_t kReadChunk = 8192;

// SO_RCVTIMEO/SO_SNDTIMEO: a recv() or send() that waits longer fails with
// EAGAIN. That is the idle timeout of a blocking, one-thread-per-connection
// server: no clock to check, the kernel wakes the thread.
void set_timeouts(int fd, int seconds) {
    timeval tv{};
    tv.tv_sec = seconds;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// TCP_NODELAY: on a persistent connection, Nagle's algorithm would hold a
// response's last small segment until the client's delayed ACK (~40 ms).
// Whole responses are already written in as few sends as possible (MSG_MORE
// joins a head to its file), so nothing is gained by waiting.
void disable_nagle(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// 503 and close: the client learns why, and the server keeps serving.
void refuse(int fd, std::string_view why) {
    Response busy = error_response(503, why);
    busy.close = true;
    send_response(fd, busy);
}

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
    : listener_(options.host, options.port),
      files_(canonical_root(options.root)),
      timeout_seconds_(options.timeout_seconds),
      max_connections_(static_cast<std::size_t>(options.max_connections)) {
    // ppoll() said a client is waiting, but it may leave before accept():
    // a non-blocking listening socket then gives EAGAIN instead of
    // blocking the loop (and a stop signal) until the next client.
    ::fcntl(listener_.fd(), F_SETFL, ::fcntl(listener_.fd(), F_GETFL) | O_NONBLOCK);
}

std::string Server::url() const {
    return "http://" + listener_.host() + ":" + std::to_string(listener_.port());
}

void Server::run() {
    while (wait_for_client_or_stop(listener_.fd())) {
        threads_.join_finished();  // reap threads whose clients have left
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        // SOCK_CLOEXEC: a CGI child (step05) must not inherit client sockets.
        UniqueFd client(
            ::accept4(listener_.fd(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
        if (!client) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
            const int err = errno;  // log_error() may change errno
            log_error(errno_message("accept", err));
            if (err == EMFILE || err == ENFILE) ::poll(nullptr, 0, 100);  // let fds free up
            continue;
        }
        std::string who = describe_peer(peer);
        trace("accept", "fd=" + std::to_string(client.get()) + " peer=" + who);
        set_timeouts(client.get(), timeout_seconds_);
        disable_nagle(client.get());
        if (threads_.active() >= max_connections_) {
            // --max-connections: a thread per connection must be capped, or
            // enough idle clients exhaust the process's threads and memory.
            trace("refuse", "fd=" + std::to_string(client.get()) + " at --max-connections");
            refuse(client.get(), "too many connections");
            continue;
        }
        try {
            // The peer string is copied into the thread: nothing it uses
            // belongs to the loop, which goes on and reuses its variables.
            // The new thread traces its own start, so that the line always
            // comes before the connection's first "read".
            threads_.start(client, [this, who](int fd) {
                trace("thread", "started, " + std::to_string(threads_.active()) + " running");
                serve_connection(fd, who);
            });
        } catch (const std::system_error& error) {  // out of threads or memory
            log_error(std::string("cannot start a thread: ") + error.what());
            refuse(client.get(), "cannot start a thread");
        }
    }
    trace("stop", "signal " + std::to_string(stop_signal_received()) + ", closing " +
                      std::to_string(threads_.active()) + " connections");
    threads_.stop_all();
}

// The life of one persistent connection, on its own thread: read a request
// (never until EOF: the end of the headers and the body's length tell where
// it ends), answer it, and go on with the next until the client or the
// server ends the connection (RFC 9112 §9.3).
void Server::serve_connection(int client, const std::string& peer) {
    const std::string id = "fd=" + std::to_string(client);
    RequestParser parser;
    std::string pending;  // bytes read past the end of the last request (pipelining)
    char buffer[kReadChunk];
    for (;;) {
        while (parser.status() == RequestParser::Status::kNeedMore) {
            if (!pending.empty()) {
                pending.erase(0, parser.feed(pending));
                continue;
            }
            ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                // Idle for --timeout seconds. Mid-request, say so (408).
                trace("timeout", id + (parser.started() ? " mid-request" : " idle"));
                if (parser.started()) {
                    Response late = error_response(408, "request not completed in time");
                    late.close = true;
                    send_response(client, late);
                }
                return;
            }
            if (n <= 0) {  // 0: the client closed; < 0: an error (e.g. ECONNRESET)
                trace("close", id + (n == 0 ? " client closed" : " read error") + " peer=" + peer);
                return;
            }
            trace("read", id + " bytes=" + std::to_string(n));
            std::string_view data(buffer, static_cast<std::size_t>(n));
            std::size_t used = parser.feed(data);
            pending.append(data.substr(used));
        }

        Response response;
        if (parser.status() == RequestParser::Status::kError) {
            trace("parse", id + " error " + std::to_string(parser.error_status()) + " " +
                               parser.error_reason());
            response = error_response(parser.error_status(), parser.error_reason());
            response.close = true;  // framing is lost: where would the next request start?
        } else {
            const Request& request = parser.request();
            trace("parse", id + " " + request.method + " " + request.target + " HTTP/1." +
                               std::to_string(request.version_minor));
            response = files_.handle(request);
            response.send_body = request.method != "HEAD";
            // After a 400 the client may be out of step with us: start afresh.
            response.close = !request.keep_alive || response.status == 400;
            response.keep_alive_header = request.keep_alive && request.version_minor == 0;
            trace("handler", id + " status=" + std::to_string(response.status));
        }
        bool sent = send_response(client, response);
        trace("write", id + (sent ? " done" : " failed (client gone)"));
        if (!sent) return;
        if (response.close) {
            linger_before_close(client);
            trace("close", id + " after response");
            return;
        }
        parser.reset();  // keep-alive: the next request on this connection
    }
}
