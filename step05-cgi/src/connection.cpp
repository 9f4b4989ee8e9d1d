// The connection state machine: read, parse, handle, write, keep alive or
// linger and close. Introduced in step03, changed in step04 (suspend) and
// step05 (CGI); the function names follow libmicrohttpd's connection.c.
#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "socket_io.hpp"
#include "trace.hpp"

namespace {

constexpr std::size_t kSendfileChunk = 1 << 20;       // bytes per sendfile() call
constexpr auto kLingerTime = std::chrono::seconds(1);  // how long kLingering drains
constexpr int kMaxLocalRedirects = 4;  // a CGI program redirecting to itself must end

// Half the pool holds the read buffer, and the request head must fit it;
// the other half holds the response head.
std::size_t read_buffer_size(std::size_t pool_size) { return pool_size / 2; }

ParserLimits limits_for_pool(std::size_t pool_size) {
    ParserLimits limits;
    // step05: a CGI program may receive uploads (git push, forms with files).
    // The body is read whole before the program starts, so it is bounded.
    limits.max_body = 16 * 1024 * 1024;
    limits.max_header_bytes = std::min(limits.max_header_bytes, read_buffer_size(pool_size));
    limits.max_request_line = std::min(limits.max_request_line, read_buffer_size(pool_size));
    return limits;
}

}  // namespace

std::string_view completion_name(Completion reason) {
    switch (reason) {
        case Completion::kCompletedOk: return "completed-ok";
        case Completion::kWithError: return "with-error";
        case Completion::kClientAbort: return "client-abort";
        case Completion::kTimedOut: return "timed-out";
        case Completion::kDaemonShutdown: return "daemon-shutdown";
    }
    return "?";
}

Connection::Connection(UniqueFd socket, std::string peer, const ConnectionSettings& settings,
                       const AccessHandler& handler, Clock::time_point now)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      settings_(settings),
      handler_(handler),
      pool_(settings.pool_size),  // MHD_pool_create
      parser_(limits_for_pool(settings.pool_size)),
      deadline_(now + settings.timeout) {
    read_capacity_ = read_buffer_size(settings.pool_size);
    read_buffer_ = pool_.allocate(read_capacity_);
}

void Connection::note(std::string_view event, std::string_view detail) const {
    if (!trace_enabled()) return;
    std::string line = "w" + std::to_string(settings_.worker_id) + " fd=" + std::to_string(fd());
    if (!detail.empty()) {
        line += ' ';
        line += detail;
    }
    trace(event, line);
}

short Connection::poll_events() const {
    switch (state_) {
        case State::kReadingRequest:
        case State::kLingering: return POLLIN;
        case State::kWritingResponse: return POLLOUT;
        // While a program runs, POLLRDHUP tells when the client goes away;
        // POLLOUT only when there is output to send.
        case State::kRunningCgi: return POLLRDHUP | (cgi_->output().empty() ? 0 : POLLOUT);
        case State::kSuspended:  // parked: not polled at all
        case State::kClosed: return 0;
    }
    return 0;
}

// POLLIN: move what the kernel has into the read buffer (MHD's do_read).
void Connection::handle_read(Clock::time_point now) {
    if (state_ == State::kLingering) {  // discard what the client still sends
        char sink[4096];
        IoResult r = recv_some(fd(), sink, sizeof sink);
        if (r.kind == IoResult::Kind::kPeerClosed || r.kind == IoResult::Kind::kError)
            close(Completion::kCompletedOk);
        return;
    }
    if (state_ != State::kReadingRequest || read_length_ == read_capacity_) return;
    IoResult r = recv_some(fd(), read_buffer_ + read_length_, read_capacity_ - read_length_);
    switch (r.kind) {
        case IoResult::Kind::kDone:
            // The request head must arrive within --timeout of its first
            // byte: trickling one byte at a time (slowloris) does not
            // extend it. Between requests and during a body, any byte does.
            if (!parser_.started() || parser_.awaiting_body()) deadline_ = now + settings_.timeout;
            read_length_ += r.bytes;
            note("read", "bytes=" + std::to_string(r.bytes));
            return;
        case IoResult::Kind::kWouldBlock: return;  // a spurious wake-up: poll again
        case IoResult::Kind::kPeerClosed: return close(Completion::kClientAbort);
        case IoResult::Kind::kError: return close(Completion::kWithError);
    }
}

// After reading: parse what arrived and, once a request is complete, call
// the access handler and prepare the response (MHD_connection_handle_idle,
// which calls call_connection_handler).
void Connection::handle_idle(Clock::time_point now) {
    // A loop, not recursion: one packet may hold hundreds of pipelined requests.
    while (state_ == State::kReadingRequest && read_length_ > 0) {
        std::size_t used = parser_.feed(std::string_view(read_buffer_, read_length_));
        // Keep unparsed bytes (the start of a pipelined request) at the front.
        std::memmove(read_buffer_, read_buffer_ + used, read_length_ - used);
        read_length_ -= used;

        if (parser_.status() == RequestParser::Status::kNeedMore) {
            send_continue_if_expected();
            return;
        }
        if (parser_.status() == RequestParser::Status::kError) {
            note("process", "error " + std::to_string(parser_.error_status()) + " " +
                                parser_.error_reason());
            Response response = error_response(parser_.error_status(), parser_.error_reason());
            response.close = true;  // framing is lost: where would the next request start?
            request_failed_ = true;
            start_response(std::move(response), now);
        } else {
            call_handler(now);  // MHD's call_connection_handler
        }
    }
}

// Calls the access handler for the current request, which answers, parks
// the connection (step04) or asks for a CGI program (step05).
void Connection::call_handler(Clock::time_point now) {
    const Request& request = current_request();
    RequestContext context(this, *settings_.resume_queue, peer_, settings_.server_address,
                           settings_.server_port);
    Response response = handler_(request, context);
    if (context.handle()) {  // MHD_suspend_connection: answer later
        suspension_ = context.handle();
        state_ = State::kSuspended;
        note("suspend", request.method + " " + request.target);
        return;
    }
    if (context.cgi()) return start_cgi(*context.cgi(), now);
    dispatch(std::move(response), now);
}

// The handler's answer to a complete request: HEAD, keep-alive, trace.
void Connection::dispatch(Response response, Clock::time_point now) {
    const Request& request = current_request();
    response.send_body = request.method != "HEAD";
    // After a 400 the client may be out of step with us: start afresh.
    response.close = response.close || !request.keep_alive || response.status == 400 || closing_;
    response.keep_alive_header = !response.close && request.version_minor == 0;
    note("process", request.method + " " + request.target + " -> " +
                        std::to_string(response.status));
    start_response(std::move(response), now);
}

void Connection::resume(Response response, Clock::time_point now) {
    if (state_ != State::kSuspended) return;
    suspension_.reset();
    note("resume");
    dispatch(std::move(response), now);
}

void Connection::begin_shutdown(Clock::time_point now) {
    closing_ = true;
    if (state_ == State::kSuspended) {
        // libmicrohttpd refuses to stop with suspended connections; here
        // the parked request gets an answer instead of silence.
        if (suspension_) suspension_->detach();
        suspension_.reset();
        state_ = State::kReadingRequest;  // so that dispatch() may answer
        note("resume", "server stopping: 503");
        return dispatch(error_response(503, "server is stopping"), now);
    }
    if (state_ == State::kReadingRequest && !parser_.started() && read_length_ == 0)
        close(Completion::kDaemonShutdown);  // idle between requests: nothing to finish
}

// Lays the head (and a small in-memory body) out in the pool, then starts
// writing at once: most responses leave in this very call.
void Connection::start_response(Response response, Clock::time_point now) {
    response_ = std::move(response);
    std::string head = serialize_head(response_);
    const bool inline_body = response_.send_body && !response_.file;
    std::size_t length = head.size() + (inline_body ? response_.body.size() : 0);
    char* out = pool_.allocate(length);
    if (!out) {  // the head does not fit what is left of the pool
        response_ = error_response(500, "response head larger than the memory pool");
        response_.close = true;
        head = serialize_head(response_);
        length = head.size();
        out = pool_.allocate(length);
        if (!out) return close(Completion::kWithError);
    }
    std::memcpy(out, head.data(), head.size());
    if (inline_body && length > head.size())
        std::memcpy(out + head.size(), response_.body.data(), response_.body.size());
    out_ = out;
    out_length_ = length;
    out_sent_ = 0;
    file_offset_ = 0;
    state_ = State::kWritingResponse;
    deadline_ = now + settings_.timeout;
    handle_write(now);
}

// POLLOUT: send what the socket takes; resume here on the next POLLOUT.
void Connection::handle_write(Clock::time_point now) {
    if (state_ != State::kWritingResponse) return;
    const bool file_body = response_.send_body && response_.file;
    while (out_sent_ < out_length_) {
        IoResult r = send_some(fd(), out_ + out_sent_, out_length_ - out_sent_, file_body);
        if (r.kind == IoResult::Kind::kWouldBlock) return;
        if (r.kind != IoResult::Kind::kDone) return close(Completion::kWithError);
        out_sent_ += r.bytes;
        deadline_ = now + settings_.timeout;
    }
    if (file_body) {
        while (static_cast<std::size_t>(file_offset_) < response_.file_size) {
            std::size_t left = response_.file_size - static_cast<std::size_t>(file_offset_);
            IoResult r = sendfile_some(fd(), response_.file.get(), file_offset_,
                                       std::min(left, kSendfileChunk));
            if (r.kind == IoResult::Kind::kWouldBlock) return;
            if (r.kind != IoResult::Kind::kDone) return close(Completion::kWithError);
            deadline_ = now + settings_.timeout;
        }
    }
    note("write", "done bytes=" + std::to_string(out_sent_ + static_cast<std::size_t>(file_offset_)));
    finish_response(now);
}

void Connection::finish_response(Clock::time_point now) {
    const Completion reason = request_failed_ ? Completion::kWithError : Completion::kCompletedOk;
    note("complete", "reason=" + std::string(completion_name(reason)));
    const bool must_close = response_.close;
    response_ = Response{};  // closes the file
    after_response(must_close, now);
}

// The response is out: keep the connection for the next request, or close.
void Connection::after_response(bool must_close, Clock::time_point now) {
    if (must_close || closing_) {
        // Nothing the client sent is left unread: close() sends a FIN after
        // the response, which arrives whole (libmicrohttpd closes here too).
        if (!request_failed_ && read_length_ == 0 && unread_bytes(fd()) == 0)
            return close(Completion::kCompletedOk);
        // Unread input would make close() send an RST, which can destroy
        // the response before the client reads it (RFC 9112 §9.6). So tear
        // down gently: FIN now, drain input for a moment, then close.
        ::shutdown(fd(), SHUT_WR);
        state_ = State::kLingering;
        deadline_ = now + kLingerTime;
        return;
    }
    start_next_request(now);
}

// Keep-alive: the pool is reset for the next request, keeping only bytes
// already read of it (MHD_pool_reset). Those may hold a whole pipelined
// request, which no POLLIN will announce: handle_idle() parses them.
void Connection::start_next_request(Clock::time_point now) {
    read_buffer_ = pool_.reset(read_buffer_, read_length_, read_capacity_);
    parser_.reset();
    rewritten_.reset();
    redirects_ = 0;
    continue_sent_ = false;
    request_failed_ = false;
    state_ = State::kReadingRequest;
    deadline_ = now + settings_.timeout;
    // The worker calls handle_idle() next, which parses the kept bytes.
}

void Connection::handle_timeout(Clock::time_point now) {
    if (state_ == State::kClosed || state_ == State::kSuspended || now < deadline_) return;
    if (state_ == State::kReadingRequest && parser_.started()) {
        note("timeout", "mid-request: 408");
        Response late = error_response(408, "request not completed in time");
        late.close = true;
        request_failed_ = true;
        return start_response(std::move(late), now);
    }
    if (state_ == State::kLingering) return close(Completion::kCompletedOk);
    if (state_ == State::kRunningCgi) {
        cgi_->kill();  // the whole process group; the reaper collects it
        if (!cgi_->head_sent()) {
            note("cgi", "timeout before the header section: 504");
            cgi_.reset();
            return dispatch(error_response(504, "the program did not answer in time"), now);
        }
        note("cgi", "timeout while streaming: closing");
    }
    close(Completion::kTimedOut);
}

void Connection::close(Completion reason) {
    if (state_ == State::kClosed) return;
    note("close", std::string("reason=") + std::string(completion_name(reason)));
    if (suspension_) suspension_->detach();  // a later resume() finds nothing
    suspension_.reset();
    cgi_.reset();  // a program still running is killed and handed to the reaper
    state_ = State::kClosed;
    response_ = Response{};
    socket_.reset();
}

// "Expect: 100-continue" (RFC 9110 §10.1.1): the client waits (curl: one
// second) before sending a large body unless told to go on. Sent once per
// request, best effort: the socket's buffer is empty while a request arrives.
void Connection::send_continue_if_expected() {
    if (continue_sent_ || !parser_.awaiting_body()) return;
    const Request& request = parser_.request();
    const std::string* expect = request.header("expect");
    if (request.version_minor != 1 || !expect) return;
    std::string value = *expect;
    for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (value != "100-continue") return;
    continue_sent_ = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    send_some(fd(), kContinue.data(), kContinue.size(), false);
    note("continue", "100 Continue");
}

// step05: start the program and follow it in the poll loop.
void Connection::start_cgi(CgiLaunch& launch, Clock::time_point now) {
    const Request& request = current_request();
    CgiStartError error;
    auto process = CgiProcess::spawn(launch.program, launch.directory, launch.environment.envp(),
                                     settings_.cgi_launch, *settings_.reaper, error);
    if (!process) {  // 500, or 502 when posix_spawn reports that exec failed
        log_error(error.detail);
        return dispatch(error_response(error.status, error.reason), now);
    }
    CgiExchange::Options options;
    options.head_request = request.method == "HEAD";
    options.version_minor = request.version_minor;
    options.close = !request.keep_alive || closing_;
    options.keep_alive_header = request.keep_alive && request.version_minor == 0;
    note("cgi", "run " + launch.program + " pid=" + std::to_string(process->pid()));
    cgi_ = std::make_unique<CgiExchange>(std::move(process), request.body, options);
    state_ = State::kRunningCgi;
    deadline_ = now + settings_.cgi_timeout;  // --cgi-timeout, for the whole run
}

std::size_t Connection::add_cgi_pollfds(std::vector<pollfd>& set) const {
    return state_ == State::kRunningCgi ? cgi_->add_pollfds(set) : 0;
}

void Connection::handle_cgi(const pollfd* fds, std::size_t count, Clock::time_point now) {
    if (state_ != State::kRunningCgi) return;
    cgi_->handle_events(fds, count);
    if (cgi_->failed() && !cgi_->head_sent()) {  // RFC 3875 §6: nothing usable came
        std::string why = cgi_->failure();
        cgi_.reset();
        return dispatch(error_response(502, why), now);
    }
    if (cgi_->local_redirect()) {  // RFC 3875 §6.2.2: serve that resource instead
        std::string location = cgi_->location();
        cgi_.reset();
        if (++redirects_ > kMaxLocalRedirects)
            return dispatch(error_response(500, "too many local redirects"), now);
        Request next = current_request();
        next.target = location;
        if (next.method != "HEAD") next.method = "GET";
        next.body.clear();
        rewritten_ = std::move(next);
        note("cgi", "local redirect to " + location);
        state_ = State::kReadingRequest;
        return call_handler(now);
    }
    write_cgi_output(now);
}

void Connection::handle_cgi_client(short revents, Clock::time_point now) {
    if (revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        note("cgi", "client went away: killing the program");
        return close(Completion::kClientAbort);
    }
    if (revents & POLLOUT) write_cgi_output(now);
}

void Connection::write_cgi_output(Clock::time_point now) {
    while (!cgi_->output().empty()) {
        std::string_view out = cgi_->output();
        IoResult r = send_some(fd(), out.data(), out.size(), false);
        if (r.kind == IoResult::Kind::kWouldBlock) return;
        if (r.kind != IoResult::Kind::kDone) return close(Completion::kWithError);
        cgi_->consume(r.bytes);
    }
    if (!cgi_->finished()) return;
    const bool must_close = cgi_->must_close();
    note("complete", "reason=completed-ok cgi status=" + std::to_string(cgi_->status()));
    cgi_.reset();  // reaped, or killed and handed to the reaper
    state_ = State::kWritingResponse;
    after_response(must_close, now);
}
