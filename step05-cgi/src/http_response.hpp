// Response: what the server sends back, and how its head is written
// (RFC 9112 §4: status line, header fields, empty line). Introduced in step01,
// changed in step05 (bodies of unknown length).
#pragma once

#include <ctime>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unique_fd.hpp"

#define SERVER_NAME "stephttpd/" STEP_ID  // the Server header names the step

// How the client learns where the body ends (RFC 9112 §6.3).
enum class BodyFraming {
    kContentLength,  // "Content-Length: N": the usual case
    kChunked,        // "Transfer-Encoding: chunked": length unknown, HTTP/1.1 (step05)
    kUntilClose,     // neither: the body ends when the connection closes (HTTP/1.0)
};

struct Response {
    int status = 200;
    // Fields besides Date, Server, Content-Length and Connection, which
    // serialize_head() adds itself.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;          // a body held in memory (errors, redirects) ...
    UniqueFd file;             // ... or an open file sent after the head
    std::size_t file_size = 0;
    bool send_body = true;     // false for HEAD: same head, no body (RFC 9110 §9.3.2)
    bool close = false;        // "Connection: close", then close the connection
    bool keep_alive_header = false;  // "Connection: keep-alive" (for HTTP/1.0 clients)
    BodyFraming framing = BodyFraming::kContentLength;  // step05: CGI output streams

    std::size_t content_length() const { return file ? file_size : body.size(); }
};

// "Not Found" for 404, and so on for every status this server sends.
std::string_view reason_phrase(int status);

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7).
std::string http_date(std::time_t when);

// The status line and header section, ending with the empty line.
std::string serialize_head(const Response& response);

// A short text/plain error, e.g. "404 Not Found: no such file\n".
Response error_response(int status, std::string_view reason);
