// Non-blocking socket I/O: each call moves what the kernel accepts now and
// says why it stopped. EAGAIN is not an error and not "message complete":
// it only means "poll again". Introduced in step01, changed in step03.
#pragma once

#include <sys/types.h>

#include <cstddef>

struct IoResult {
    enum class Kind {
        kDone,        // `bytes` moved (maybe fewer than asked: a partial transfer)
        kWouldBlock,  // nothing can move now: wait for poll()
        kPeerClosed,  // recv() returned 0: the client closed its side
        kError,       // `error` holds errno (ECONNRESET, EPIPE, ...)
    };
    Kind kind;
    std::size_t bytes = 0;
    int error = 0;
};

IoResult recv_some(int socket, char* buffer, std::size_t capacity);

// `more`: more data follows at once (MSG_MORE lets it share a packet).
IoResult send_some(int socket, const char* data, std::size_t length, bool more);

// Sends up to `count` bytes of `file` from `offset`, advancing `offset`.
IoResult sendfile_some(int socket, int file, off_t& offset, std::size_t count);

// Bytes received on `socket` that nobody has read yet (ioctl FIONREAD);
// -1 when the kernel cannot tell.
int unread_bytes(int socket);
