// Blocking socket I/O done right: partial writes resumed, EINTR retried,
// SIGPIPE never raised, files sent with sendfile(2). Introduced in step01.
// Tinyhttpd writes one line per send() and ignores the return values.
#pragma once

#include <cstddef>
#include <string_view>

#include "http_response.hpp"

// Sends all of `data`. False when the peer is gone or the send timed out.
// `flags` are added to MSG_NOSIGNAL (MSG_MORE: more data follows at once).
bool send_all(int socket, std::string_view data, int flags = 0);

// Sends `size` bytes of `file` from offset 0. False on any error.
bool send_file(int socket, int file, std::size_t size);

// Writes a whole response: the head, then the body unless it is HEAD.
bool send_response(int socket, const Response& response);

// Prepares a connection for close() without losing the response we just
// sent: stop sending (FIN), then drain what the client still sends for a
// short while. Closing with unread input makes the kernel send RST, which
// can destroy a response the client has not read yet (RFC 9112 §9.6).
// The caller closes the descriptor afterwards.
void linger_before_close(int socket);
