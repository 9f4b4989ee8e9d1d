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
// Every state has a deadline (--timeout); the worker closes a connection
// whose deadline passed. All methods run on the owning worker's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "http_request.hpp"
#include "http_response.hpp"
#include "memory_pool.hpp"
#include "poll_timeout.hpp"
#include "request_parser.hpp"
#include "unique_fd.hpp"

// The application's request handler (libmicrohttpd: MHD_AccessHandlerCallback).
// Called on worker threads, concurrently: it must be thread-safe.
using AccessHandler = std::function<Response(const Request&)>;

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
};

class Connection {
public:
    enum class State { kReadingRequest, kWritingResponse, kLingering, kClosed };

    // internal_add_connection: takes the accepted socket, creates the pool.
    Connection(UniqueFd socket, std::string peer, const ConnectionSettings& settings,
               const AccessHandler& handler, Clock::time_point now);

    int fd() const { return socket_.get(); }
    State state() const { return state_; }
    bool closed() const { return state_ == State::kClosed; }
    short poll_events() const;  // POLLIN or POLLOUT, by state
    Clock::time_point deadline() const { return deadline_; }
    const MemoryPool& pool() const { return pool_; }

    void handle_read(Clock::time_point now);   // MHD_connection_handle_read
    void handle_idle(Clock::time_point now);   // MHD_connection_handle_idle
    void handle_write(Clock::time_point now);  // MHD_connection_handle_write
    void handle_timeout(Clock::time_point now);
    void close(Completion reason);             // MHD_connection_close_

private:
    void call_handler(Clock::time_point now);
    void dispatch(Response response, Clock::time_point now);
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
};
