// recv/send/sendfile on non-blocking sockets, EINTR retried, SIGPIPE never
// raised. Introduced in step01, changed in step03.
#include "socket_io.hpp"

#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>

namespace {

IoResult from_return(ssize_t n) {
    if (n > 0) return {IoResult::Kind::kDone, static_cast<std::size_t>(n), 0};
    if (n == 0) return {IoResult::Kind::kPeerClosed, 0, 0};
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoResult::Kind::kWouldBlock, 0, 0};
    return {IoResult::Kind::kError, 0, errno};
}

}  // namespace

IoResult recv_some(int socket, char* buffer, std::size_t capacity) {
    ssize_t n;
    do n = ::recv(socket, buffer, capacity, 0);
    while (n < 0 && errno == EINTR);
    return from_return(n);
}

IoResult send_some(int socket, const char* data, std::size_t length, bool more) {
    ssize_t n;
    // MSG_NOSIGNAL: a vanished client gives EPIPE, not a fatal SIGPIPE.
    do n = ::send(socket, data, length, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    while (n < 0 && errno == EINTR);
    if (n == 0) return {IoResult::Kind::kWouldBlock, 0, 0};
    return from_return(n);
}

IoResult sendfile_some(int socket, int file, off_t& offset, std::size_t count) {
    ssize_t n;
    // The kernel copies from the page cache to the socket: no user buffer.
    do n = ::sendfile(socket, file, &offset, count);
    while (n < 0 && errno == EINTR);
    if (n == 0) return {IoResult::Kind::kError, 0, EIO};  // the file shrank under us
    return from_return(n);
}

int unread_bytes(int socket) {
    int count = 0;
    return ::ioctl(socket, FIONREAD, &count) == 0 ? count : -1;
}
