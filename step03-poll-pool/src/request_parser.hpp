// RequestParser: an incremental HTTP/1.1 request parser (RFC 9112).
// Introduced in step01 and carried unchanged by later steps.
//
// It is fed bytes as they arrive, in pieces of any size, and never needs the
// connection to end: the end of the header section (an empty line) and then
// Content-Length or chunked framing tell where a request ends. Bytes after
// the end of a request are not consumed: they belong to the next
// (pipelined) request.
//
//   feed("GET / HT")        -> consumed 8,  status kNeedMore
//   feed("TP/1.1\r\nHo")    -> consumed 10, status kNeedMore
//   feed("st: a\r\n\r\nGET") -> consumed 9,  status kComplete ("GET" left over)
//
// One parser belongs to one connection and one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http_request.hpp"

struct ParserLimits {
    std::size_t max_request_line = 8 * 1024;   // longer: 414 URI Too Long
    std::size_t max_header_bytes = 16 * 1024;  // larger: 431
    std::size_t max_header_count = 100;        // more:   431
    std::size_t max_body = 1024 * 1024;        // larger: 413
};

class RequestParser {
public:
    enum class Status { kNeedMore, kComplete, kError };

    explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

    // Consumes bytes of the current request from `data` and returns how many
    // it used. Stops at the end of a complete request and after an error.
    std::size_t feed(std::string_view data);

    Status status() const { return status_; }
    bool started() const { return started_; }   // any byte of a request seen
    // The header section is complete and the body is still arriving; then
    // request() already holds the method, target and header fields (a
    // server may answer "Expect: 100-continue" at this point, RFC 9110 §10.1.1).
    bool awaiting_body() const {
        return state_ == State::kBody || state_ == State::kChunkSize ||
               state_ == State::kChunkData || state_ == State::kChunkDataEnd ||
               state_ == State::kTrailerLine;
    }
    const Request& request() const { return request_; }
    int error_status() const { return error_status_; }         // e.g. 400
    const std::string& error_reason() const { return error_reason_; }

    // Forgets the current request, ready for the next one on the connection.
    void reset();

private:
    enum class State {
        kRequestLine,
        kHeaderLine,
        kBody,         // Content-Length bytes
        kChunkSize,    // "1a;ext\r\n"
        kChunkData,
        kChunkDataEnd, // the CRLF after each chunk's data
        kTrailerLine,
        kDone,
        kError,
    };

    std::size_t feed_line(std::string_view data);
    std::size_t feed_body(std::string_view data);
    void on_line(std::string_view line);
    void parse_request_line(std::string_view line);
    void parse_header_line(std::string_view line);
    void finish_headers();
    void parse_chunk_size(std::string_view line);
    std::size_t line_limit() const;
    void fail(int status, std::string reason);
    void fail_line_too_long();

    ParserLimits limits_;
    State state_ = State::kRequestLine;
    Status status_ = Status::kNeedMore;
    Request request_;
    std::string line_;              // the line being assembled
    std::size_t header_bytes_ = 0;  // bytes of the header section so far
    std::size_t body_remaining_ = 0;
    std::size_t empty_lines_ = 0;   // blank lines before the request line
    std::size_t trailer_count_ = 0; // trailer lines after a chunked body
    bool started_ = false;
    int error_status_ = 0;
    std::string error_reason_;
};
