// Unit tests for the Connection state machine (libmicrohttpd:
// MHD_connection_handle_read / _idle / _write and the connection timeout).
// Introduced in step03, changed in step04 (the handler's RequestContext)
// and step05 (the settings name the worker's ChildReaper).
//
// Each test plays the worker: it owns one end of a non-blocking socketpair
// (the client, "peer") and calls the handlers that poll() would trigger on
// the other end. Time is a parameter, so timeouts need no sleeping:
//
//   test (client)            socketpair            Connection (server)
//   send(peer, request) ------------------------> handle_read(now)
//                                                  handle_idle(now) -> handler
//   receive(peer)       <------------------------ handle_write(now)
#include "connection.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trace.hpp"

namespace {

using namespace std::chrono_literals;
using State = Connection::State;

std::string get(std::string_view target, std::string_view extra_headers = {}) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" +
           std::string(extra_headers) + "\r\n";
}

// The value of header `name` in a response head, or "" if absent.
std::string header_value(const std::string& head, const std::string& name) {
    std::string key = "\r\n" + name + ": ";
    auto at = head.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return head.substr(at, head.find("\r\n", at) - at);
}

struct Reply {
    int status = 0;
    std::string head;  // status line and header fields, up to the empty line
    std::string body;
};

// Splits what the client received into responses framed by Content-Length.
// (Not for HEAD, whose Content-Length announces a body that is not sent.)
std::vector<Reply> split_replies(std::string data) {
    std::vector<Reply> replies;
    while (!data.empty()) {
        auto end = data.find("\r\n\r\n");
        if (end == std::string::npos || !data.starts_with("HTTP/1.1 ")) {
            ADD_FAILURE() << "not a response: " << data.substr(0, 80);
            break;
        }
        Reply reply;
        reply.head = data.substr(0, end + 2);
        reply.status = std::atoi(data.c_str() + 9);
        std::size_t length = std::stoul(header_value(reply.head, "Content-Length"));
        reply.body = data.substr(end + 4, length);
        data.erase(0, end + 4 + length);
        replies.push_back(std::move(reply));
    }
    return replies;
}

class ConnectionTest : public ::testing::Test {
protected:
    // A small handler that echoes the target: enough to see which request
    // each response answers.
    ConnectionTest() {
        handler = [this](const Request& request, RequestContext&) {
            seen.push_back(request.method + " " + request.target);
            Response response;
            response.headers.emplace_back("Content-Type", "text/plain");
            response.body = "you asked for " + request.target + "\n";
            return response;
        };
    }

    void open(std::size_t pool_size = 32 * 1024, int server_sndbuf = 0) {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        if (server_sndbuf > 0) {
            ASSERT_EQ(::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &server_sndbuf,
                                   sizeof server_sndbuf), 0);
        }
        settings.pool_size = pool_size;
        settings.resume_queue = &resume_queue;  // step04: where a resumed connection goes
        settings.reaper = &reaper;  // step05: where a CGI child goes if the connection ends first
        peer.reset(fds[1]);
        connection = std::make_unique<Connection>(UniqueFd(fds[0]), "test-peer", settings,
                                                  handler, t0);
    }

    // The client sends; the socketpair's buffer takes these small requests whole.
    void send(std::string_view data) {
        ssize_t n = ::send(peer.get(), data.data(), data.size(), MSG_NOSIGNAL);
        ASSERT_EQ(n, static_cast<ssize_t>(data.size())) << std::strerror(errno);
    }

    // Everything the client can read now; `eof` tells whether the server
    // closed its sending side (FIN) after it.
    std::string receive(bool* eof = nullptr) {
        std::string out;
        char buffer[64 * 1024];
        for (;;) {
            ssize_t n = ::recv(peer.get(), buffer, sizeof buffer, 0);
            if (n > 0) {
                out.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (eof) *eof = n == 0;
            return out;
        }
    }

    // What Worker::call_handlers does on POLLIN, and on POLLOUT: the I/O
    // handler, then handle_idle, which answers any complete request.
    void on_readable(Clock::time_point now) {
        connection->handle_read(now);
        connection->handle_idle(now);
    }
    void on_writable(Clock::time_point now) {
        connection->handle_write(now);
        connection->handle_idle(now);
    }

    ConnectionSettings settings;  // the connection keeps references to these two
    AccessHandler handler;
    ResumeQueue resume_queue{[] {}};  // no handler here suspends: nothing to wake
    ChildReaper reaper;  // no handler here runs a program; outlives the connection
    std::vector<std::string> seen;  // requests the handler was called with
    const Clock::time_point t0 = Clock::time_point() + 1h;
    UniqueFd peer;
    std::unique_ptr<Connection> connection;
};

TEST_F(ConnectionTest, StartsReadingWithHalfThePoolAsReadBuffer) {
    open(8192);
    EXPECT_EQ(connection->state(), State::kReadingRequest);
    EXPECT_EQ(connection->poll_events(), POLLIN);
    EXPECT_EQ(connection->deadline(), t0 + settings.timeout);
    EXPECT_EQ(connection->pool().size(), 8192u);
    EXPECT_EQ(connection->pool().used(), 4096u);
}

TEST_F(ConnectionTest, OneRequestIsAnsweredAndTheNextIsAwaited) {
    open();
    send(get("/a"));
    on_readable(t0);

    bool eof = false;
    auto replies = split_replies(receive(&eof));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 200);
    EXPECT_EQ(replies[0].body, "you asked for /a\n");
    EXPECT_EQ(header_value(replies[0].head, "Server"), "stephttpd/" STEP_ID);
    EXPECT_EQ(header_value(replies[0].head, "Content-Type"), "text/plain");
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "");
    EXPECT_FALSE(eof);
    EXPECT_EQ(seen, std::vector<std::string>{"GET /a"});
    EXPECT_EQ(connection->state(), State::kReadingRequest);
    EXPECT_EQ(connection->poll_events(), POLLIN);
}

TEST_F(ConnectionTest, NothingHappensUntilTheHeadIsComplete) {
    open();
    send("GET /a HTTP/1.1\r\nHost: test\r\n");
    on_readable(t0);
    EXPECT_EQ(receive(), "");
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(connection->state(), State::kReadingRequest);
}

TEST_F(ConnectionTest, KeepAliveServesSequentialRequests) {
    open();
    for (std::string target : {"/first", "/second"}) {
        send(get(target));
        on_readable(t0);
        auto replies = split_replies(receive());
        ASSERT_EQ(replies.size(), 1u) << target;
        EXPECT_EQ(replies[0].body, "you asked for " + target + "\n");
        EXPECT_EQ(connection->state(), State::kReadingRequest);
        // MHD_pool_reset between requests: only the read buffer stays.
        EXPECT_EQ(connection->pool().used(), settings.pool_size / 2);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"GET /first", "GET /second"}));
}

// Pipelining: three requests arrive in one read. The bytes after the first
// stay in the pool across the reset and are answered without a new POLLIN.
TEST_F(ConnectionTest, PipelinedRequestsAreAnsweredInOrderFromOneRead) {
    open();
    send(get("/one") + get("/two") + get("/three"));
    connection->handle_read(t0);  // a single recv takes all three
    connection->handle_idle(t0);

    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0].body, "you asked for /one\n");
    EXPECT_EQ(replies[1].body, "you asked for /two\n");
    EXPECT_EQ(replies[2].body, "you asked for /three\n");
    EXPECT_EQ(seen, (std::vector<std::string>{"GET /one", "GET /two", "GET /three"}));
    EXPECT_EQ(connection->state(), State::kReadingRequest);
}

TEST_F(ConnectionTest, PipelinedRequestCutInTheMiddleIsKeptAcrossTheReset) {
    open();
    const std::string second = get("/two");
    send(get("/one") + second.substr(0, 10));
    on_readable(t0);
    ASSERT_EQ(split_replies(receive()).size(), 1u);
    EXPECT_EQ(connection->state(), State::kReadingRequest);

    send(second.substr(10));
    on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].body, "you asked for /two\n");
}

TEST_F(ConnectionTest, RequestSplitIntoManyWrites) {
    open();
    const std::string request = get("/slow", "User-Agent: drip\r\n");
    for (std::size_t i = 0; i + 1 < request.size(); ++i) {
        send(request.substr(i, 1));
        on_readable(t0);
        ASSERT_EQ(receive(), "") << "answered after " << i + 1 << " bytes";
        ASSERT_EQ(connection->state(), State::kReadingRequest);
    }
    send(request.substr(request.size() - 1));
    on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].body, "you asked for /slow\n");
}

// A spurious POLLIN (nothing to read) is not an error and not the end.
TEST_F(ConnectionTest, ReadWithNothingToReadChangesNothing) {
    open();
    on_readable(t0);
    EXPECT_EQ(connection->state(), State::kReadingRequest);
    EXPECT_EQ(connection->deadline(), t0 + settings.timeout);
}

// Connection: close and nothing more sent: close() at once, no lingering.
TEST_F(ConnectionTest, ConnectionCloseWithNothingUnreadClosesAtOnce) {
    open();
    send(get("/bye", "Connection: close\r\n"));
    on_readable(t0);

    bool eof = false;
    auto replies = split_replies(receive(&eof));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 200);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_TRUE(eof) << "the server should have closed after the response";
    EXPECT_EQ(connection->state(), State::kClosed);
    EXPECT_EQ(connection->fd(), -1);
}

// Input still unread after the last response (here a pipelined request
// behind Connection: close): closing now would send an RST, so the
// connection lingers: FIN sent, input drained until the peer closes.
TEST_F(ConnectionTest, ConnectionCloseWithInputPendingLingersThenClosesWhenThePeerCloses) {
    open();
    send(get("/bye", "Connection: close\r\n") + get("/never"));
    on_readable(t0);

    bool eof = false;
    auto replies = split_replies(receive(&eof));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 200);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_TRUE(eof) << "the server should have sent its FIN (shutdown SHUT_WR)";
    EXPECT_EQ(seen, std::vector<std::string>{"GET /bye"});
    EXPECT_EQ(connection->state(), State::kLingering);
    EXPECT_EQ(connection->poll_events(), POLLIN);  // draining the client's input

    peer.reset();
    connection->handle_read(t0);
    EXPECT_EQ(connection->state(), State::kClosed);
    EXPECT_TRUE(connection->closed());
    EXPECT_EQ(connection->fd(), -1);
    EXPECT_EQ(connection->poll_events(), 0);
}

TEST_F(ConnectionTest, LingeringDiscardsLateInputAndEndsAtItsDeadline) {
    open();
    send(get("/bye", "Connection: close\r\n") + get("/pipelined"));
    on_readable(t0);
    ASSERT_EQ(connection->state(), State::kLingering);
    receive();

    send(get("/ignored"));
    connection->handle_read(t0);
    EXPECT_EQ(connection->state(), State::kLingering);
    EXPECT_EQ(seen, std::vector<std::string>{"GET /bye"});
    EXPECT_EQ(receive(), "");

    connection->handle_timeout(t0 + 999ms);  // lingering lasts one second
    EXPECT_EQ(connection->state(), State::kLingering);
    connection->handle_timeout(t0 + 1s);
    EXPECT_EQ(connection->state(), State::kClosed);
}

TEST_F(ConnectionTest, Http10ClosesByDefault) {
    open();
    send("GET /old HTTP/1.0\r\n\r\n");
    on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_EQ(connection->state(), State::kClosed);
}

TEST_F(ConnectionTest, Http10KeepAliveStaysOpenAndSaysSo) {
    open();
    send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "keep-alive");
    EXPECT_EQ(connection->state(), State::kReadingRequest);
}

TEST_F(ConnectionTest, HandlerCanAskToClose) {
    handler = [](const Request&, RequestContext&) {
        Response response = error_response(503, "busy");
        response.close = true;
        return response;
    };
    open();
    send(get("/"));
    on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 503);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_EQ(connection->state(), State::kClosed);
}

// Framing is lost after a malformed request: answer 400 and close, and do
// not read what follows as a request.
TEST_F(ConnectionTest, MalformedRequestGets400AndClose) {
    open();
    send("GARBAGE\r\n\r\n" + get("/after"));
    on_readable(t0);

    bool eof = false;
    auto replies = split_replies(receive(&eof));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 400);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_TRUE(replies[0].body.starts_with("400 Bad Request: ")) << replies[0].body;
    EXPECT_TRUE(eof);
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(connection->state(), State::kLingering);
}

// The request head must fit the read buffer, half the pool: a larger one
// is refused with 431 (libmicrohttpd answers the same when its pool is full).
TEST_F(ConnectionTest, HeadLargerThanHalfThePoolGets431) {
    open(4096);
    send(get("/", "X-Big: " + std::string(3000, 'a') + "\r\n"));
    for (int i = 0; i < 10 && connection->state() == State::kReadingRequest; ++i)
        on_readable(t0);

    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 431);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(connection->state(), State::kLingering);
}

TEST_F(ConnectionTest, SameHeadFitsALargerPool) {
    open(16384);
    send(get("/", "X-Big: " + std::string(3000, 'a') + "\r\n"));
    for (int i = 0; i < 10 && seen.empty(); ++i) on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 200);
}

TEST_F(ConnectionTest, RequestLineLongerThanHalfThePoolGets414) {
    open(4096);
    send(get("/" + std::string(3000, 'x')));
    for (int i = 0; i < 10 && connection->state() == State::kReadingRequest; ++i)
        on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 414);
}

TEST_F(ConnectionTest, HeadGetsTheHeadWithoutTheBody) {
    open();
    send("HEAD /a HTTP/1.1\r\nHost: test\r\n\r\n");
    on_readable(t0);
    std::string data = receive();
    ASSERT_TRUE(data.starts_with("HTTP/1.1 200 OK\r\n")) << data;
    EXPECT_EQ(header_value(data, "Content-Length"), "17");  // "you asked for /a\n"
    EXPECT_TRUE(data.ends_with("\r\n\r\n")) << data;
    EXPECT_EQ(data.find("you asked"), std::string::npos);

    // The next response starts right where the head ended.
    send(get("/b"));
    on_readable(t0);
    auto replies = split_replies(receive());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].body, "you asked for /b\n");
}

TEST_F(ConnectionTest, PeerClosingWhileIdleClosesTheConnection) {
    open();
    peer.reset();
    on_readable(t0);
    EXPECT_EQ(connection->state(), State::kClosed);
    EXPECT_EQ(connection->fd(), -1);
    EXPECT_TRUE(seen.empty());
}

TEST_F(ConnectionTest, PeerClosingMidRequestClosesTheConnection) {
    open();
    send("GET /a HTTP/1.1\r\nHo");
    on_readable(t0);
    peer.reset();
    on_readable(t0);
    EXPECT_EQ(connection->state(), State::kClosed);
    EXPECT_TRUE(seen.empty());
}

TEST_F(ConnectionTest, CloseIsFinalAndIdempotent) {
    open();
    connection->close(Completion::kDaemonShutdown);
    EXPECT_EQ(connection->state(), State::kClosed);
    bool eof = false;
    EXPECT_EQ(receive(&eof), "");
    EXPECT_TRUE(eof);
    connection->close(Completion::kWithError);  // no effect
    connection->handle_timeout(t0 + 1h);
    connection->handle_write(t0);
    EXPECT_EQ(connection->state(), State::kClosed);
}

TEST_F(ConnectionTest, TimeoutBeforeTheDeadlineDoesNothing) {
    open();
    send("GET /a HTTP/1.1\r\nHo");
    on_readable(t0);
    connection->handle_timeout(t0 + settings.timeout - 1ms);
    EXPECT_EQ(connection->state(), State::kReadingRequest);
    EXPECT_EQ(receive(), "");
}

TEST_F(ConnectionTest, EveryReadMovesTheDeadline) {
    open();
    send("GET /a HTTP/1.1\r\n");
    on_readable(t0 + 10s);
    EXPECT_EQ(connection->deadline(), t0 + 10s + settings.timeout);
    connection->handle_timeout(t0 + settings.timeout);  // the first deadline
    EXPECT_EQ(connection->state(), State::kReadingRequest);
}

// A client that started a request and stalled is told why it is cut off.
TEST_F(ConnectionTest, TimeoutWithAHalfRequestSends408ThenCloses) {
    open();
    send("GET /a HTTP/1.1\r\nHo");
    on_readable(t0);
    connection->handle_timeout(t0 + settings.timeout);

    bool eof = false;
    auto replies = split_replies(receive(&eof));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].status, 408);
    EXPECT_EQ(header_value(replies[0].head, "Connection"), "close");
    EXPECT_TRUE(eof);
    EXPECT_EQ(connection->state(), State::kLingering);

    connection->handle_timeout(t0 + settings.timeout + 1s);
    EXPECT_EQ(connection->state(), State::kClosed);
}

TEST_F(ConnectionTest, IdleTimeoutClosesSilently) {
    open();
    connection->handle_timeout(t0 + settings.timeout);
    EXPECT_EQ(connection->state(), State::kClosed);
    bool eof = false;
    EXPECT_EQ(receive(&eof), "");
    EXPECT_TRUE(eof);
}

TEST_F(ConnectionTest, IdleTimeoutCountsFromTheLastResponse) {
    open();
    send(get("/a"));
    on_readable(t0 + 5s);
    ASSERT_EQ(split_replies(receive()).size(), 1u);
    connection->handle_timeout(t0 + 5s + settings.timeout - 1ms);
    EXPECT_EQ(connection->state(), State::kReadingRequest);
    connection->handle_timeout(t0 + 5s + settings.timeout);
    EXPECT_EQ(connection->state(), State::kClosed);
    bool eof = false;
    EXPECT_EQ(receive(&eof), "");  // no 408 for a connection between requests
    EXPECT_TRUE(eof);
}

// A response far larger than the socket buffer: handle_write sends what
// fits, returns on EAGAIN, and resumes on the next POLLOUT while the client
// reads. The body comes from a file, as StaticFiles sends it (sendfile).
TEST_F(ConnectionTest, LargeResponseIsWrittenOverSeveralPollouts) {
    constexpr std::size_t kSize = 1 << 20;
    std::string path = ::testing::TempDir() + "stephttpd-connection-XXXXXX";
    UniqueFd temp(::mkstemp(path.data()));
    ASSERT_TRUE(temp) << std::strerror(errno);
    std::string content(kSize, '\0');
    for (std::size_t i = 0; i < kSize; ++i) content[i] = static_cast<char>('a' + i * 7 % 26);
    ASSERT_EQ(::write(temp.get(), content.data(), kSize), static_cast<ssize_t>(kSize));
    handler = [&path](const Request&, RequestContext&) {
        Response response;
        response.headers.emplace_back("Content-Type", "application/octet-stream");
        response.file = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        response.file_size = kSize;
        return response;
    };

    open(32 * 1024, /*server_sndbuf=*/4096);
    send(get("/big") + get("/after"));
    on_readable(t0);  // starts writing at once, stops when the buffer is full
    ASSERT_EQ(connection->state(), State::kWritingResponse);
    EXPECT_EQ(connection->poll_events(), POLLOUT);
    EXPECT_GT(connection->pool().used(), settings.pool_size / 2);  // the head is in the pool

    std::string data = receive();
    int writes = 0;
    auto now = t0;
    while (connection->state() == State::kWritingResponse && writes < 100000) {
        now += 1ms;
        on_writable(now);  // POLLOUT: the client made room
        ++writes;
        data += receive();
    }
    ::unlink(path.c_str());

    RecordProperty("handle_write_calls", writes);
    EXPECT_GT(writes, 1) << "the socket buffer should not take 1 MiB at once";
    auto replies = split_replies(data);
    ASSERT_EQ(replies.size(), 2u);  // the pipelined second request followed
    EXPECT_EQ(replies[0].status, 200);
    EXPECT_EQ(replies[0].body.size(), kSize);
    EXPECT_TRUE(replies[0].body == content) << "body differs from the file";
    EXPECT_EQ(connection->state(), State::kReadingRequest);
    EXPECT_EQ(connection->deadline(), now + settings.timeout);  // progress moves it
}

// A client that stops reading: the write stalls and the deadline ends it.
TEST_F(ConnectionTest, StalledWriteTimesOut) {
    constexpr std::size_t kSize = 1 << 20;
    std::string path = ::testing::TempDir() + "stephttpd-connection-XXXXXX";
    UniqueFd temp(::mkstemp(path.data()));
    ASSERT_TRUE(temp);
    ASSERT_EQ(::ftruncate(temp.get(), kSize), 0);
    handler = [&path](const Request&, RequestContext&) {
        Response response;
        response.file = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        response.file_size = kSize;
        return response;
    };
    open(32 * 1024, 4096);
    send(get("/big"));
    on_readable(t0);
    ::unlink(path.c_str());
    ASSERT_EQ(connection->state(), State::kWritingResponse);
    on_writable(t0 + 1s);  // nothing moves: the buffer is full
    EXPECT_EQ(connection->state(), State::kWritingResponse);
    connection->handle_timeout(t0 + settings.timeout);
    EXPECT_EQ(connection->state(), State::kClosed);
}

TEST(Completion, NamesShownInTheTrace) {
    EXPECT_EQ(completion_name(Completion::kCompletedOk), "completed-ok");
    EXPECT_EQ(completion_name(Completion::kWithError), "with-error");
    EXPECT_EQ(completion_name(Completion::kClientAbort), "client-abort");
    EXPECT_EQ(completion_name(Completion::kTimedOut), "timed-out");
    EXPECT_EQ(completion_name(Completion::kDaemonShutdown), "daemon-shutdown");
}

// --trace names why each request and connection ended.
class ConnectionTraceTest : public ConnectionTest {
protected:
    void SetUp() override {
        enable_trace(true);
        ::testing::internal::CaptureStderr();
        capturing_ = true;
    }
    std::string trace_text() {
        enable_trace(false);
        capturing_ = false;
        return ::testing::internal::GetCapturedStderr();
    }
    void TearDown() override {
        if (capturing_) trace_text();
    }

private:
    bool capturing_ = false;
};

TEST_F(ConnectionTraceTest, CompletedThenClientAbort) {
    open();
    send(get("/a"));
    on_readable(t0);
    receive();
    peer.reset();
    on_readable(t0);
    std::string text = trace_text();
    for (const char* line : {"[trace] read w0 fd=", "[trace] process w0 fd=",
                             "GET /a -> 200", "[trace] write w0 fd=",
                             "complete w0 fd=", "reason=completed-ok",
                             "[trace] close w0 fd=", "reason=client-abort"})
        EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
}

TEST_F(ConnectionTraceTest, MalformedRequestCompletesWithError) {
    open();
    send("GARBAGE\r\n\r\n");
    on_readable(t0);
    std::string text = trace_text();
    EXPECT_NE(text.find("error 400"), std::string::npos) << text;
    EXPECT_NE(text.find("reason=with-error"), std::string::npos) << text;
}

TEST_F(ConnectionTraceTest, IdleTimeoutIsTimedOut) {
    open();
    connection->handle_timeout(t0 + settings.timeout);
    std::string text = trace_text();
    EXPECT_NE(text.find("reason=timed-out"), std::string::npos) << text;
}

}  // namespace
