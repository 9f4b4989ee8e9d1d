// The hand-off of a parked connection between threads. Introduced in step04,
// changed in step05.
#include "suspension.hpp"

#include "cgi_process.hpp"

#include <utility>

void ResumeQueue::push(ResumeHandle handle) {
    {
        std::lock_guard lock(mutex_);
        ready_.push_back(std::move(handle));
    }
    wake_();  // after the change is visible: the worker cannot miss it
}

std::vector<ResumeHandle> ResumeQueue::take_all() {
    std::lock_guard lock(mutex_);
    return std::exchange(ready_, {});
}

bool SuspendedConnection::resume(Response response) {
    std::lock_guard lock(mutex_);
    if (!connection_ || response_) return false;  // gone, or resumed already
    response_ = std::move(response);
    // Pushed under our lock: while connection_ is set, the worker (and its
    // queue and Waker) cannot be gone. No deadlock: the worker takes the
    // queue's lock and a handle's lock one after the other, never nested.
    queue_.push(shared_from_this());
    return true;
}

std::pair<Connection*, Response> SuspendedConnection::take() {
    std::lock_guard lock(mutex_);
    Connection* connection = std::exchange(connection_, nullptr);
    Response response = response_ ? std::move(*response_) : Response{};
    return {connection, std::move(response)};
}

void SuspendedConnection::detach() {
    std::lock_guard lock(mutex_);
    connection_ = nullptr;
}

ResumeHandle RequestContext::suspend() {
    if (!handle_) handle_ = std::make_shared<SuspendedConnection>(connection_, queue_);
    return handle_;
}

void RequestContext::run_cgi(CgiLaunch launch) {
    cgi_ = std::make_shared<CgiLaunch>(std::move(launch));
}
