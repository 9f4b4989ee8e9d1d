// Connection: one client connection inside a worker's poll loop, as an
// explicit state machine. Introduced in step03 (libmicrohttpd: struct
// MHD_Connection and its handlers in connection.c).
//
//            POLLIN                          POLLOUT
//   +--> kReadingRequest --request done--> kWritingResponse --all sent--+
//   |      handle_read: recv                 handle_write: send,        |
//   |      handle_idle: parse, call the        sendfile (a partial      |
//   |        access handler                    write resumes on the     |
//   |                                          next POLLOUT)            |
//   +----- keep-alive: reset the pool, parse the leftover bytes <-------+
//                                                                       |
//   kClosed <-- drained or late -- kLingering <-- Connection: close ----+
//                                  (FIN sent, input drained, RFC 9112 §9.6)
//
// step04 adds kSuspended: the handler parked the request (not polled, no
// deadline) until another thread resumes it with a response, which goes
// to kWritingResponse.
//
// step05 adds kRunningCgi: a CGI program produces the response; its pipes
// join the worker's poll set beside the client socket (see cgi_exchange.hpp).
//
// Every state has a deadline (--timeout); the worker closes a connection
// whose deadline passed. All methods run on the owning worker's thread.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "cgi_exchange.hpp"
#include "http_request.hpp"
#include "http_response.hpp"
#include "memory_pool.hpp"
#include "poll_timeout.hpp"
#include "request_parser.hpp"
#include "suspension.hpp"
#include "unique_fd.hpp"

// The application's request handler (libmicrohttpd: MHD_AccessHandlerCallback).
// Called on worker threads, concurrently: it must be thread-safe. Through
// the context it may suspend the connection and answer later (step04).
using AccessHandler = std::function<Response(const Request&, RequestContext&)>;

// Why a request or connection ended (libmicrohttpd: enum
// MHD_RequestTerminationCode, reported by notify_completed).
enum class Completion {
    kCompletedOk,     // MHD_REQUEST_TERMINATED_COMPLETED_OK
    kWithError,       // MHD_REQUEST_TERMINATED_WITH_ERROR: recv/send failed
    kClientAbort,     // MHD_REQUEST_TERMINATED_CLIENT_ABORT: recv returned 0
    kTimedOut,        // MHD_REQUEST_TERMINATED_TIMEOUT_REACHED
    kDaemonShutdown,  // MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN
};
std::string_view completion_name(Completion reason);

// Per-worker copy of the settings a connection needs.
struct ConnectionSettings {
    std::chrono::seconds timeout{15};
    std::size_t pool_size = 32 * 1024;
    int worker_id = 0;
    ResumeQueue* resume_queue = nullptr;  // the worker's, for suspended connections (step04)
    ChildReaper* reaper = nullptr;        // the worker's, for CGI children (step05)
    std::chrono::seconds cgi_timeout{30};  // step05
    CgiLaunchMethod cgi_launch = CgiLaunchMethod::kFork;  // --cgi-launch (step05)
    std::string server_address;           // where the server listens (step05)
    int server_port = 0;
};

class Connection {
public:
    enum class State {
        kReadingRequest,
        kSuspended,
        kRunningCgi,
        kWritingResponse,
        kLingering,
        kClosed,
    };

    // internal_add_connection: takes the accepted socket, creates the pool.
    Connection(UniqueFd socket, std::string peer, const ConnectionSettings& settings,
               const AccessHandler& handler, Clock::time_point now);
    ~Connection() { close(Completion::kDaemonShutdown); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    int fd() const { return socket_.get(); }
    State state() const { return state_; }
    bool closed() const { return state_ == State::kClosed; }
    bool suspended() const { return state_ == State::kSuspended; }
    bool running_cgi() const { return state_ == State::kRunningCgi; }
    short poll_events() const;  // POLLIN or POLLOUT, by state
    Clock::time_point deadline() const { return deadline_; }
    const MemoryPool& pool() const { return pool_; }

    void handle_read(Clock::time_point now);   // MHD_connection_handle_read
    void handle_idle(Clock::time_point now);   // MHD_connection_handle_idle
    void handle_write(Clock::time_point now);  // MHD_connection_handle_write
    void handle_timeout(Clock::time_point now);
    void close(Completion reason);             // MHD_connection_close_

    // MHD_resume_connection, on the worker: write the response handed over.
    void resume(Response response, Clock::time_point now);
    // The server is stopping: close if idle, else close after this response.
    void begin_shutdown(Clock::time_point now);

    // step05: the CGI program's descriptors for the poll set, and their events.
    std::size_t add_cgi_pollfds(std::vector<pollfd>& set) const;
    void handle_cgi(const pollfd* fds, std::size_t count, Clock::time_point now);
    // The client socket's events while the program runs.
    void handle_cgi_client(short revents, Clock::time_point now);

private:
    const Request& current_request() const { return rewritten_ ? *rewritten_ : parser_.request(); }
    void call_handler(Clock::time_point now);
    void dispatch(Response response, Clock::time_point now);
    void start_cgi(CgiLaunch& launch, Clock::time_point now);
    void write_cgi_output(Clock::time_point now);
    void send_continue_if_expected();
    void after_response(bool must_close, Clock::time_point now);
    void start_response(Response response, Clock::time_point now);
    void finish_response(Clock::time_point now);
    void start_next_request(Clock::time_point now);
    void note(std::string_view event, std::string_view detail = {}) const;

    UniqueFd socket_;
    std::string peer_;
    const ConnectionSettings& settings_;
    const AccessHandler& handler_;
    MemoryPool pool_;
    RequestParser parser_;
    State state_ = State::kReadingRequest;
    Clock::time_point deadline_;

    // The read buffer, in the pool: bytes received but not yet parsed.
    char* read_buffer_ = nullptr;
    std::size_t read_capacity_ = 0;
    std::size_t read_length_ = 0;

    // The response being written: its head (and small body) in the pool,
    // then the file, if any.
    Response response_;
    const char* out_ = nullptr;
    std::size_t out_length_ = 0;
    std::size_t out_sent_ = 0;
    off_t file_offset_ = 0;
    bool request_failed_ = false;  // the response answers a malformed request
    bool closing_ = false;         // server stopping: close after the response
    ResumeHandle suspension_;      // while kSuspended
    std::unique_ptr<CgiExchange> cgi_;  // while kRunningCgi (step05)
    std::optional<Request> rewritten_;  // a CGI local redirect's new request
    int redirects_ = 0;
    bool continue_sent_ = false;        // "100 Continue" for this request
};
