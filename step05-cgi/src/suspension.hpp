// Suspend and resume (libmicrohttpd: MHD_suspend_connection and
// MHD_resume_connection), and the RequestContext an access handler gets.
// Introduced in step04, changed in step05 (the context can run a CGI program).
//
// An access handler that cannot answer yet parks its connection: the worker
// stops polling it and goes on serving others. Later, any thread hands the
// response over; the worker's Waker ("r") makes the worker pick it up.
//
//   worker thread                          any other thread
//   -------------                          ----------------
//   handler: handle = context.suspend()
//            keep handle somewhere  ---->  ... later ...
//   connection parked (not polled)         handle->resume(response)
//                                            lock; store response;
//                                            queue handle; waker 'r'
//   poll wakes, clear(), take queue  <----
//   connection writes the response
//
// The handle never owns the connection. When the connection closes first
// (server stop), it detaches itself from the handle, and resume() returns
// false: no thread ever touches a freed connection.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "http_response.hpp"

class Connection;
struct CgiLaunch;
class SuspendedConnection;
using ResumeHandle = std::shared_ptr<SuspendedConnection>;

// A worker's list of resumed connections, filled by any thread.
class ResumeQueue {
public:
    explicit ResumeQueue(std::function<void()> wake) : wake_(std::move(wake)) {}
    void push(ResumeHandle handle);      // any thread; wakes the worker
    std::vector<ResumeHandle> take_all();  // the worker only
private:
    std::function<void()> wake_;
    std::mutex mutex_;
    std::vector<ResumeHandle> ready_;  // guarded by mutex_
};

class SuspendedConnection : public std::enable_shared_from_this<SuspendedConnection> {
public:
    SuspendedConnection(Connection* connection, ResumeQueue& queue)
        : connection_(connection), queue_(queue) {}

    // MHD_resume_connection: any thread, once. The response is written by
    // the connection's worker. False if the connection is already gone.
    bool resume(Response response);

    // The worker: the connection and its response, detaching both (the
    // connection is nullptr if it closed meanwhile).
    std::pair<Connection*, Response> take();

    // The connection, when it closes while parked.
    void detach();

private:
    std::mutex mutex_;
    Connection* connection_;              // guarded by mutex_; nullptr once gone
    std::optional<Response> response_;    // guarded by mutex_
    ResumeQueue& queue_;
};

// What an access handler knows besides the request, and may do besides
// answering at once.
class RequestContext {
public:
    RequestContext(Connection* connection, ResumeQueue& queue, const std::string& peer,
                   const std::string& server_address, int server_port)
        : connection_(connection),
          queue_(queue),
          peer_(peer),
          server_address_(server_address),
          server_port_(server_port) {}

    const std::string& peer() const { return peer_; }  // "address:port" of the client
    const std::string& server_address() const { return server_address_; }
    int server_port() const { return server_port_; }

    // step05: answer with the output of a CGI program, which the connection
    // starts and follows in its worker's poll loop. The handler's return
    // value is then ignored.
    void run_cgi(CgiLaunch launch);
    const std::shared_ptr<CgiLaunch>& cgi() const { return cgi_; }

    // MHD_suspend_connection: park this connection. The handler's return
    // value is then ignored; keep the handle and call resume() on it later.
    ResumeHandle suspend();
    const ResumeHandle& handle() const { return handle_; }

private:
    Connection* connection_;
    ResumeQueue& queue_;
    ResumeHandle handle_;
    const std::string& peer_;
    const std::string& server_address_;
    int server_port_;
    std::shared_ptr<CgiLaunch> cgi_;
};
