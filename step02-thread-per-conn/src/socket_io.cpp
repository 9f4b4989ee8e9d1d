// send/sendfile loops and the lingering close. Introduced in step01.
#include "socket_io.hpp"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

namespace {

constexpr int kLingerMilliseconds = 1000;   // how long linger_before_close() drains
constexpr std::size_t kLingerMaxBytes = 256 * 1024;

}  // namespace

bool send_all(int socket, std::string_view data, int flags) {
    while (!data.empty()) {
        // MSG_NOSIGNAL: a vanished client gives EPIPE, not a fatal SIGPIPE.
        ssize_t n = ::send(socket, data.data(), data.size(), MSG_NOSIGNAL | flags);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;  // EPIPE, ECONNRESET, or EAGAIN after SO_SNDTIMEO
        }
        data.remove_prefix(static_cast<std::size_t>(n));  // a partial write: go on
    }
    return true;
}

bool send_file(int socket, int file, std::size_t size) {
    off_t offset = 0;
    while (static_cast<std::size_t>(offset) < size) {
        // The kernel copies from the page cache to the socket: no user buffer.
        ssize_t n = ::sendfile(socket, file, &offset, size - static_cast<std::size_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return false;  // the file shrank under us: stop, the length was promised
    }
    return true;
}

bool send_response(int socket, const Response& response) {
    std::string head = serialize_head(response);
    if (!response.send_body) return send_all(socket, head);
    if (!response.file) {
        head += response.body;  // one send for head and a small body
        return send_all(socket, head);
    }
    // MSG_MORE lets the head and the first part of the file share a packet.
    return send_all(socket, head, MSG_MORE) &&
           send_file(socket, response.file.get(), response.file_size);
}

void linger_before_close(int socket) {
    if (::shutdown(socket, SHUT_WR) != 0) return;  // peer already gone: nothing to drain
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMilliseconds);
    std::size_t drained = 0;
    char sink[4096];
    while (drained < kLingerMaxBytes) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd pfd{socket, POLLIN, 0};
        int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        ssize_t n = ::recv(socket, sink, sizeof sink, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the client closed its side too: done
        drained += static_cast<std::size_t>(n);
    }
}
