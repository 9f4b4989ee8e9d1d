// CgiExchange: one CGI request inside a worker's poll loop. It feeds the
// request body to the program, reads the program's output, parses its CGI
// header section and turns the rest into the HTTP response, while the
// worker goes on serving every other connection. Introduced in step05.
//
//                 worker's poll set
//   client  <---- [socket  POLLOUT] <-- output_ <-- framing <--+
//                                                              |
//   program stdin  <-- [in[1]  POLLOUT] <-- request body       |
//   program stdout --> [out[0] POLLIN ] --> CgiResponseParser --+
//   program exit   --> [pidfd  POLLIN ] --> waitpid(WNOHANG)
//
// Back-pressure: while output_ holds more than a bound, stdout is not
// polled, so a slow client slows the program down instead of filling the
// server's memory. The body is written only as fast as the pipe takes it,
// so a program that never reads stdin cannot block the worker.
// All methods run on the connection's worker thread.
#pragma once

#include <poll.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cgi_process.hpp"
#include "cgi_response.hpp"
#include "http_request.hpp"

class CgiExchange {
public:
    struct Options {
        bool head_request = false;  // HEAD: the body is read but not sent
        int version_minor = 1;      // HTTP/1.1 may chunk; HTTP/1.0 ends by closing
        bool close = false;         // the connection closes after this response
        bool keep_alive_header = false;
    };

    CgiExchange(std::unique_ptr<CgiProcess> process, std::string body, Options options);

    // Appends the program's descriptors with the events to wait for and
    // returns how many it added (0 to 3).
    std::size_t add_pollfds(std::vector<pollfd>& set) const;
    // Handles the revents of the `count` entries add_pollfds() added.
    void handle_events(const pollfd* fds, std::size_t count);

    // Bytes ready for the client; consume() after sending some.
    std::string_view output() const { return std::string_view(output_).substr(output_sent_); }
    void consume(std::size_t bytes);

    bool head_sent() const { return head_ready_; }   // the status line is in output
    bool finished() const;       // everything produced and handed out
    bool must_close() const { return close_; }       // the response ends the connection
    bool failed() const { return failed_; }          // 502: the program broke the protocol
    const std::string& failure() const { return failure_; }
    bool local_redirect() const { return local_redirect_; }
    const std::string& location() const { return location_; }
    int status() const { return status_; }

    // Kills the program (timeout, client gone); it is reaped later.
    void kill();

private:
    void write_body();
    void read_output();
    void start_response(std::string_view body_start);
    void append_body(std::string_view data);
    void end_of_output();
    void fail(std::string reason);

    std::unique_ptr<CgiProcess> process_;
    std::string body_;
    std::size_t body_written_ = 0;
    Options options_;
    CgiResponseParser parser_;
    std::string output_;
    std::size_t output_sent_ = 0;
    bool head_ready_ = false;
    bool chunked_ = false;
    bool fixed_length_ = false;    // the program gave a Content-Length
    std::size_t length_left_ = 0;  // body bytes it still owes
    bool stdout_done_ = false;
    bool close_ = false;
    bool failed_ = false;
    bool local_redirect_ = false;
    std::string failure_;
    std::string location_;
    int status_ = 0;
};
