// A Connection whose access handler suspends it (kSuspended), then is
// resumed or shut down. A real socketpair stands in for the client; the
// test plays the worker, calling the connection's handlers in turn.
#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using State = Connection::State;

// What the client side can read now, and whether the server closed its side.
struct Received {
    std::string bytes;
    bool eof = false;
};

Received receive(int fd) {
    Received got;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            got.bytes.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        got.eof = n == 0;
        return got;
    }
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

int count(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

class ConnectionSuspendTest : public testing::Test {
protected:
    ConnectionSuspendTest() : queue_([this] { ++wakes_; }) {
        settings_.timeout = 15s;
        settings_.pool_size = 32 * 1024;
        settings_.resume_queue = &queue_;
        int ends[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends), 0);
        peer_.reset(ends[1]);
        connection_ = std::make_unique<Connection>(UniqueFd(ends[0]), "peer", settings_, handler_, now_);
    }

    Connection& connection() { return *connection_; }

    // The client sends; the worker reads and processes (call_handlers on POLLIN).
    void client_sends(const std::string& bytes) {
        ASSERT_EQ(::send(peer_.get(), bytes.data(), bytes.size(), 0),
                  static_cast<ssize_t>(bytes.size()));
        connection().handle_read(now_);
        connection().handle_idle(now_);
    }

    // What the worker does with its resume queue after its Waker fired
    // (Worker::handle_wakeup): write the response, then parse what is left.
    void worker_takes_resumed(Clock::time_point now) {
        for (const ResumeHandle& handle : queue_.take_all()) {
            auto [resumed, response] = handle->take();
            if (!resumed) continue;
            resumed->resume(std::move(response), now);
            resumed->handle_idle(now);
        }
    }
    void worker_takes_resumed() { worker_takes_resumed(now_); }

    static Response text(std::string body) {
        Response response;
        response.headers.emplace_back("Content-Type", "text/plain");
        response.body = std::move(body);
        return response;
    }

    Clock::time_point now_ = Clock::now();
    int wakes_ = 0;
    ResumeQueue queue_;
    ConnectionSettings settings_;
    ResumeHandle parked_;  // the handle of the last suspended request
    // /park suspends; anything else is answered at once with its target.
    AccessHandler handler_ = [this](const Request& request, RequestContext& context) {
        if (request.target.starts_with("/park")) {
            parked_ = context.suspend();
            return text("ignored: the connection is suspended");
        }
        return text("now " + request.target);
    };
    UniqueFd peer_;
    std::unique_ptr<Connection> connection_;
};

const std::string kPark = "GET /park HTTP/1.1\r\nHost: t\r\n\r\n";

TEST_F(ConnectionSuspendTest, AHandlerThatSuspendsParksTheConnection) {
    client_sends(kPark);
    ASSERT_NE(parked_, nullptr);
    EXPECT_EQ(connection().state(), State::kSuspended);
    EXPECT_TRUE(connection().suspended());
    EXPECT_EQ(connection().poll_events(), 0);  // not in the poll set at all
    EXPECT_EQ(receive(peer_.get()).bytes, "");  // the handler's return value is not sent
    EXPECT_EQ(wakes_, 0);
}

TEST_F(ConnectionSuspendTest, AParkedConnectionHasNoDeadline) {
    client_sends(kPark);
    connection().handle_timeout(now_ + settings_.timeout + 1s);
    connection().handle_timeout(now_ + 24h);
    EXPECT_EQ(connection().state(), State::kSuspended);
    Received got = receive(peer_.get());
    EXPECT_EQ(got.bytes, "");  // no 408
    EXPECT_FALSE(got.eof);     // not closed
}

TEST_F(ConnectionSuspendTest, ResumeWritesTheResponseOnTheWorker) {
    client_sends(kPark);
    ASSERT_NE(parked_, nullptr);

    // Another thread (here: this one) hands the response over ...
    EXPECT_TRUE(parked_->resume(text("later")));
    EXPECT_EQ(wakes_, 1);
    EXPECT_EQ(connection().state(), State::kSuspended);  // nothing written yet
    EXPECT_EQ(receive(peer_.get()).bytes, "");

    // ... and the woken worker writes it.
    worker_takes_resumed();
    Received got = receive(peer_.get());
    EXPECT_TRUE(got.bytes.starts_with("HTTP/1.1 200 OK\r\n")) << got.bytes;
    EXPECT_TRUE(contains(got.bytes, "Server: stephttpd/step04\r\n"));
    EXPECT_TRUE(contains(got.bytes, "Content-Length: 5\r\n"));
    EXPECT_FALSE(contains(got.bytes, "Connection: close"));
    EXPECT_TRUE(got.bytes.ends_with("\r\n\r\nlater"));
    EXPECT_FALSE(got.eof);

    // Keep-alive: the connection waits for the next request, polled again.
    EXPECT_EQ(connection().state(), State::kReadingRequest);
    EXPECT_NE(connection().poll_events(), 0);
    client_sends("GET /next HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_TRUE(receive(peer_.get()).bytes.ends_with("now /next"));
}

TEST_F(ConnectionSuspendTest, ResumeComesBackWithItsOwnDeadline) {
    client_sends(kPark);
    const Clock::time_point later = now_ + 1h;  // parked for an hour
    ASSERT_TRUE(parked_->resume(text("late")));
    worker_takes_resumed(later);
    EXPECT_TRUE(receive(peer_.get()).bytes.ends_with("late"));
    EXPECT_EQ(connection().state(), State::kReadingRequest);
    // The idle timeout counts from the resume, not from the request.
    EXPECT_EQ(connection().deadline(), later + settings_.timeout);
    connection().handle_timeout(later + 1s);
    EXPECT_FALSE(connection().closed());
}

TEST_F(ConnectionSuspendTest, APipelinedRequestWaitsBehindTheParkedOne) {
    // Responses go out in request order (RFC 9112 §9.3.2): the second
    // request is not answered before the first one resumes.
    client_sends(kPark + "GET /second HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(connection().state(), State::kSuspended);
    EXPECT_EQ(receive(peer_.get()).bytes, "");

    ASSERT_TRUE(parked_->resume(text("first")));
    worker_takes_resumed();
    std::string got = receive(peer_.get()).bytes;
    EXPECT_EQ(count(got, "HTTP/1.1 200 OK"), 2) << got;
    auto first = got.find("\r\n\r\nfirst");
    auto second = got.find("now /second");
    ASSERT_NE(first, std::string::npos) << got;
    ASSERT_NE(second, std::string::npos) << got;
    EXPECT_LT(first, second);
}

TEST_F(ConnectionSuspendTest, AResumedHeadRequestGetsNoBody) {
    client_sends("HEAD /park HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_EQ(connection().state(), State::kSuspended);
    ASSERT_TRUE(parked_->resume(text("12345")));
    worker_takes_resumed();
    std::string got = receive(peer_.get()).bytes;
    EXPECT_TRUE(contains(got, "Content-Length: 5\r\n")) << got;
    EXPECT_TRUE(got.ends_with("\r\n\r\n")) << got;
}

TEST_F(ConnectionSuspendTest, AResumedConnectionCloseRequestCloses) {
    client_sends("GET /park HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(parked_->resume(text("bye")));
    worker_takes_resumed();
    Received got = receive(peer_.get());
    EXPECT_TRUE(contains(got.bytes, "Connection: close\r\n")) << got.bytes;
    EXPECT_TRUE(got.eof);  // FIN after the response
    EXPECT_EQ(connection().state(), State::kClosed);  // nothing left unread: no lingering
}

TEST_F(ConnectionSuspendTest, AResumeBeforeTheHandlerReturnsIsNotLost) {
    // /api/delay?ms=0 can be resumed by the timer thread before the handler
    // has even returned. The connection parks anyway; the queued handle
    // brings it back on the worker's next wake-up.
    handler_ = [](const Request&, RequestContext& context) {
        EXPECT_TRUE(context.suspend()->resume(text("at once")));
        return text("ignored");
    };
    client_sends(kPark);
    EXPECT_EQ(connection().state(), State::kSuspended);
    EXPECT_EQ(wakes_, 1);
    worker_takes_resumed();
    EXPECT_TRUE(receive(peer_.get()).bytes.ends_with("\r\n\r\nat once"));
    EXPECT_EQ(connection().state(), State::kReadingRequest);
}

TEST_F(ConnectionSuspendTest, ShutdownAnswersAParkedRequest503) {
    client_sends(kPark);
    ASSERT_EQ(connection().state(), State::kSuspended);
    connection().begin_shutdown(now_);

    Received got = receive(peer_.get());
    EXPECT_TRUE(got.bytes.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << got.bytes;
    EXPECT_TRUE(contains(got.bytes, "Connection: close\r\n"));
    EXPECT_TRUE(contains(got.bytes, "server is stopping"));
    EXPECT_TRUE(got.eof);
    EXPECT_EQ(connection().state(), State::kClosed);  // nothing left unread: no lingering

    // The handle was detached: a resume that comes later is refused and
    // wakes nobody, so no thread writes to a connection being closed.
    EXPECT_FALSE(parked_->resume(text("too late")));
    EXPECT_EQ(wakes_, 0);
    EXPECT_EQ(parked_->take().first, nullptr);
}

TEST_F(ConnectionSuspendTest, ShutdownClosesAnIdleConnectionAtOnce) {
    connection().begin_shutdown(now_);
    EXPECT_TRUE(connection().closed());
    Received got = receive(peer_.get());
    EXPECT_EQ(got.bytes, "");
    EXPECT_TRUE(got.eof);
}

TEST_F(ConnectionSuspendTest, ShutdownClosesAKeepAliveConnectionBetweenRequests) {
    client_sends("GET /one HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(receive(peer_.get()).bytes.ends_with("now /one"));
    ASSERT_EQ(connection().state(), State::kReadingRequest);
    connection().begin_shutdown(now_);
    EXPECT_TRUE(connection().closed());
    EXPECT_TRUE(receive(peer_.get()).eof);
}

TEST_F(ConnectionSuspendTest, ShutdownLetsAHalfReceivedRequestFinish) {
    client_sends("GET /half HTTP/1.1\r\nHo");
    connection().begin_shutdown(now_);
    EXPECT_FALSE(connection().closed());
    EXPECT_EQ(connection().state(), State::kReadingRequest);
    EXPECT_EQ(receive(peer_.get()).bytes, "");

    client_sends("st: t\r\n\r\n");
    Received got = receive(peer_.get());
    EXPECT_TRUE(got.bytes.starts_with("HTTP/1.1 200 OK\r\n")) << got.bytes;
    EXPECT_TRUE(contains(got.bytes, "Connection: close\r\n"));  // the last response
    EXPECT_TRUE(got.bytes.ends_with("now /half"));
    EXPECT_TRUE(got.eof);
    EXPECT_EQ(connection().state(), State::kClosed);  // nothing left unread: no lingering
}

TEST_F(ConnectionSuspendTest, ShutdownAnswersOnlyThePipelinedRequestInProgress) {
    // Two requests arrived; the first is parked when the server stops. It
    // gets the 503 with Connection: close; the second is never answered.
    client_sends(kPark + "GET /second HTTP/1.1\r\nHost: t\r\n\r\n");
    connection().begin_shutdown(now_);
    Received got = receive(peer_.get());
    EXPECT_EQ(count(got.bytes, "HTTP/1.1 "), 1) << got.bytes;
    EXPECT_TRUE(got.bytes.starts_with("HTTP/1.1 503 "));
    EXPECT_TRUE(got.eof);
}

TEST_F(ConnectionSuspendTest, ClosingAParkedConnectionDetachesItsHandle) {
    client_sends(kPark);
    connection().close(Completion::kDaemonShutdown);
    EXPECT_TRUE(connection().closed());
    EXPECT_FALSE(parked_->resume(text("nobody listens")));
    EXPECT_EQ(wakes_, 0);
}

TEST_F(ConnectionSuspendTest, FreeingAParkedConnectionDetachesItsHandle) {
    // The handle may outlive the connection (a timer still holds it): it
    // must never point at freed memory.
    client_sends(kPark);
    connection_.reset();
    EXPECT_FALSE(parked_->resume(text("nobody listens")));
    EXPECT_EQ(parked_->take().first, nullptr);
    EXPECT_TRUE(receive(peer_.get()).eof);
}

TEST_F(ConnectionSuspendTest, ResumeAfterShutdownStartedIsDropped) {
    // The worker saw the stop ("e") first: the parked request got its 503.
    // A response handed over just before is found detached and dropped.
    client_sends(kPark);
    ASSERT_TRUE(parked_->resume(text("in time?")));
    connection().begin_shutdown(now_);
    worker_takes_resumed();  // take() yields nullptr: nothing is written twice
    Received got = receive(peer_.get());
    EXPECT_EQ(count(got.bytes, "HTTP/1.1 "), 1) << got.bytes;
    EXPECT_TRUE(got.bytes.starts_with("HTTP/1.1 503 "));
}

}  // namespace
