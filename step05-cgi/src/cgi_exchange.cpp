// The CGI exchange: body in, output parsed, response framed. Introduced in step05.
#include "cgi_exchange.hpp"

#include <unistd.h>

#include <cerrno>

#include "chunked_encoder.hpp"
#include "http_response.hpp"
#include "trace.hpp"

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kOutputLimit = 64 * 1024;  // stop reading stdout beyond this

}  // namespace

CgiExchange::CgiExchange(std::unique_ptr<CgiProcess> process, std::string body, Options options)
    : process_(std::move(process)), body_(std::move(body)), options_(options) {
    if (body_.empty()) process_->close_stdin();  // EOF at once: no body
}

std::size_t CgiExchange::add_pollfds(std::vector<pollfd>& set) const {
    std::size_t added = 0;
    auto add = [&](int fd, short events) {
        set.push_back({fd, events, 0});  // fd -1: poll() skips the entry
        ++added;
    };
    add(process_->stdin_fd(), POLLOUT);
    const bool room = output_.size() - output_sent_ < kOutputLimit;
    add(room ? process_->stdout_fd() : -1, POLLIN);
    add(process_->pid_fd(), POLLIN);
    return added;
}

void CgiExchange::handle_events(const pollfd* fds, std::size_t count) {
    if (count > 0 && fds[0].revents) write_body();
    if (count > 1 && fds[1].revents) read_output();
    if (count > 2 && fds[2].revents) process_->try_reap();
}

// Writes what the pipe takes now. EPIPE means the program exited or closed
// stdin without reading it all: not an error, it simply does not want it.
void CgiExchange::write_body() {
    while (body_written_ < body_.size()) {
        ssize_t n = ::write(process_->stdin_fd(), body_.data() + body_written_,
                            body_.size() - body_written_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;  // pipe full: wait for POLLOUT
        if (n <= 0) break;                     // EPIPE: the program does not read
        body_written_ += static_cast<std::size_t>(n);
    }
    process_->close_stdin();  // EOF: the program knows the body is complete
    body_.clear();
    body_.shrink_to_fit();
}

void CgiExchange::read_output() {
    char buffer[kReadChunk];
    ssize_t n = ::read(process_->stdout_fd(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) return end_of_output();
    std::string_view data(buffer, static_cast<std::size_t>(n));
    if (failed_ || local_redirect_) return;  // nothing more goes to the client
    if (!head_ready_) {
        std::size_t used = parser_.feed(data);
        if (parser_.status() == CgiResponseParser::Status::kError)
            return fail(parser_.error_reason());
        if (parser_.status() == CgiResponseParser::Status::kNeedMore) return;
        start_response(data.substr(used));
        return;
    }
    append_body(data);
}

// The header section is complete: write the status line and header fields
// (never before: the program decides the status, unlike Tinyhttpd, which
// sends "200 OK" before the program even runs).
void CgiExchange::start_response(std::string_view body_start) {
    const CgiResponseHead& head = parser_.head();
    if (head.kind == CgiResponseKind::kLocalRedirect) {  // RFC 3875 §6.2.2
        local_redirect_ = true;
        location_ = head.location;
        trace("cgi", "local redirect to " + location_);
        return;
    }
    Response response;
    response.status = head.status;
    response.headers = head.headers;
    response.send_body = !options_.head_request;
    if (head.content_length) {
        // The program's own length goes out as its Content-Length field
        // (so serialize_head adds none), and the body is held to it.
        response.headers.emplace_back("Content-Length", std::to_string(*head.content_length));
        response.framing = BodyFraming::kUntilClose;
        length_left_ = *head.content_length;
        fixed_length_ = true;
    } else if (options_.version_minor == 1) {
        response.framing = BodyFraming::kChunked;  // RFC 9112 §7.1
        chunked_ = !options_.head_request;
    } else {
        response.framing = BodyFraming::kUntilClose;  // HTTP/1.0: the end is the close
        options_.close = true;
    }
    close_ = options_.close;
    response.close = close_;
    response.keep_alive_header = !close_ && options_.keep_alive_header;
    status_ = head.status;
    output_ += serialize_head(response);
    head_ready_ = true;
    trace("cgi", "head status=" + std::to_string(head.status) + " kind=" +
                     std::string(to_string(head.kind)));
    append_body(body_start);
}

void CgiExchange::append_body(std::string_view data) {
    if (fixed_length_) {  // never more than announced: extra bytes would
        data = data.substr(0, length_left_);  // become a "response" of their own
        length_left_ -= data.size();
    }
    if (data.empty() || options_.head_request) return;
    if (chunked_)
        append_chunk(output_, data);
    else
        output_.append(data);
}

void CgiExchange::end_of_output() {
    if (stdout_done_) return;
    stdout_done_ = true;
    process_->close_stdout();
    if (failed_ || local_redirect_) return;
    if (!head_ready_) {
        parser_.end_of_output();
        return fail(parser_.status() == CgiResponseParser::Status::kError
                        ? parser_.error_reason()
                        : "the program ended before its header section");
    }
    process_->let_finish();  // its answer is complete; it may still tidy up
    if (chunked_) output_.append(kLastChunk);
    // Fewer bytes than announced: only closing tells the client it is over.
    if (fixed_length_ && length_left_ > 0 && !options_.head_request) close_ = true;
}

void CgiExchange::fail(std::string reason) {
    failed_ = true;
    failure_ = std::move(reason);
    trace("cgi", "bad gateway: " + failure_);
}

void CgiExchange::consume(std::size_t bytes) {
    output_sent_ += bytes;
    if (output_sent_ == output_.size()) {  // all sent: reuse the buffer
        output_.clear();
        output_sent_ = 0;
    }
}

bool CgiExchange::finished() const {
    return stdout_done_ && output_sent_ == output_.size() && head_ready_;
}

void CgiExchange::kill() { process_->kill_group(); }
