// The hand-off of a parked connection between threads: RequestContext,
// SuspendedConnection (the resume handle) and a worker's ResumeQueue.
// These tests never let a worker write; connection_suspend_test.cpp does.
// Introduced in step04, changed in step05 (the context's peer, server and run_cgi).
#include "suspension.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cgi_process.hpp"
#include "connection.hpp"
#include "waker.hpp"

namespace {

// step05: the context also tells the handler who asked and where. It keeps
// references to these, so they outlive every context.
const std::string kPeer = "127.0.0.1:50000";
const std::string kServer = "127.0.0.1";
constexpr int kPort = 8080;

Response text(std::string body) {
    Response response;
    response.status = 200;
    response.body = std::move(body);
    return response;
}

// One real (idle) connection for the handles to point at. Nothing here
// dereferences it: the pointer only has to come back out of take().
class SuspensionTest : public testing::Test {
protected:
    SuspensionTest()
        : queue_([this] { ++wakes_; }),
          connection_(make_socket(), "test", settings_, handler_, Clock::now()) {
        settings_.resume_queue = &queue_;
    }

    UniqueFd make_socket() {
        int ends[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends), 0);
        peer_.reset(ends[1]);
        return UniqueFd(ends[0]);
    }

    std::atomic<int> wakes_{0};
    ResumeQueue queue_;
    ConnectionSettings settings_;
    AccessHandler handler_ = [](const Request&, RequestContext&) { return Response{}; };
    UniqueFd peer_;
    Connection connection_;
};

TEST_F(SuspensionTest, NoHandleUntilTheHandlerSuspends) {
    RequestContext context(&connection_, queue_, kPeer, kServer, kPort);
    EXPECT_EQ(context.handle(), nullptr);
}

// step05: what CgiHandler reads for REMOTE_ADDR, SERVER_NAME and SERVER_PORT.
TEST_F(SuspensionTest, ContextTellsWhoAskedAndWhere) {
    RequestContext context(&connection_, queue_, kPeer, kServer, kPort);
    EXPECT_EQ(context.peer(), "127.0.0.1:50000");
    EXPECT_EQ(context.server_address(), "127.0.0.1");
    EXPECT_EQ(context.server_port(), 8080);
    EXPECT_EQ(context.cgi(), nullptr);
}

// step05: run_cgi() only records the launch; the connection starts it.
TEST_F(SuspensionTest, RunCgiRecordsTheLaunchWithoutSuspending) {
    RequestContext context(&connection_, queue_, kPeer, kServer, kPort);
    CgiLaunch launch;
    launch.program = "/srv/www/cgi-bin/env.sh";
    launch.directory = "/srv/www/cgi-bin";
    context.run_cgi(std::move(launch));
    ASSERT_NE(context.cgi(), nullptr);
    EXPECT_EQ(context.cgi()->program, "/srv/www/cgi-bin/env.sh");
    EXPECT_EQ(context.cgi()->directory, "/srv/www/cgi-bin");
    EXPECT_EQ(context.handle(), nullptr);  // not parked: the connection runs it
    EXPECT_EQ(wakes_, 0);
}

TEST_F(SuspensionTest, SuspendReturnsTheSameHandleTwice) {
    RequestContext context(&connection_, queue_, kPeer, kServer, kPort);
    ResumeHandle first = context.suspend();
    ResumeHandle second = context.suspend();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first, second);
    EXPECT_EQ(context.handle(), first);
    EXPECT_EQ(wakes_, 0);  // suspending wakes nobody
    EXPECT_TRUE(queue_.take_all().empty());
}

TEST_F(SuspensionTest, ResumeQueuesTheHandleAndWakesOnce) {
    RequestContext context(&connection_, queue_, kPeer, kServer, kPort);
    ResumeHandle handle = context.suspend();
    EXPECT_TRUE(handle->resume(text("later")));
    EXPECT_EQ(wakes_, 1);
    std::vector<ResumeHandle> ready = queue_.take_all();
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0], handle);
    EXPECT_TRUE(queue_.take_all().empty());  // take_all() empties the queue
}

TEST_F(SuspensionTest, ASecondResumeReturnsFalse) {
    ResumeHandle handle = RequestContext(&connection_, queue_, kPeer, kServer, kPort).suspend();
    EXPECT_TRUE(handle->resume(text("first")));
    EXPECT_FALSE(handle->resume(text("second")));
    EXPECT_EQ(wakes_, 1);
    ASSERT_EQ(queue_.take_all().size(), 1u);
    auto [connection, response] = handle->take();
    EXPECT_EQ(response.body, "first");  // the first answer wins
}

TEST_F(SuspensionTest, TakeReturnsTheConnectionAndTheResponse) {
    ResumeHandle handle = RequestContext(&connection_, queue_, kPeer, kServer, kPort).suspend();
    Response answer = text("waited 5 ms\n");
    answer.status = 202;
    answer.headers.emplace_back("X-Test", "yes");
    ASSERT_TRUE(handle->resume(std::move(answer)));
    auto [connection, response] = handle->take();
    EXPECT_EQ(connection, &connection_);
    EXPECT_EQ(response.status, 202);
    EXPECT_EQ(response.body, "waited 5 ms\n");
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0].first, "X-Test");
}

TEST_F(SuspensionTest, TakeDetaches) {
    // After the worker took the connection, the handle is spent.
    ResumeHandle handle = RequestContext(&connection_, queue_, kPeer, kServer, kPort).suspend();
    ASSERT_TRUE(handle->resume(text("once")));
    EXPECT_EQ(handle->take().first, &connection_);
    EXPECT_EQ(handle->take().first, nullptr);
    EXPECT_FALSE(handle->resume(text("again")));
    EXPECT_EQ(wakes_, 1);
}

TEST_F(SuspensionTest, AfterDetachResumeReturnsFalse) {
    // The connection closed while parked (server stop): a late resume()
    // must neither queue the handle nor wake the worker.
    ResumeHandle handle = RequestContext(&connection_, queue_, kPeer, kServer, kPort).suspend();
    handle->detach();
    EXPECT_FALSE(handle->resume(text("too late")));
    EXPECT_EQ(wakes_, 0);
    EXPECT_TRUE(queue_.take_all().empty());
    EXPECT_EQ(handle->take().first, nullptr);
}

TEST_F(SuspensionTest, DetachAfterResumeLeavesNothingToTake) {
    // Resumed, then the connection closed before the worker took the
    // queue: the worker finds the handle but no connection to write to.
    ResumeHandle handle = RequestContext(&connection_, queue_, kPeer, kServer, kPort).suspend();
    ASSERT_TRUE(handle->resume(text("answer")));
    handle->detach();
    std::vector<ResumeHandle> ready = queue_.take_all();
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0]->take().first, nullptr);
}

TEST_F(SuspensionTest, TheHandleOutlivesTheContext) {
    // The handler returns and its context dies; the handle stays valid.
    ResumeHandle handle;
    {
        RequestContext context(&connection_, queue_, kPeer, kServer, kPort);
        handle = context.suspend();
    }
    EXPECT_TRUE(handle->resume(text("ok")));
    EXPECT_EQ(handle->take().first, &connection_);
}

// Many threads resume many handles while this thread plays the worker:
// sleep in poll() on a real Waker, clear it, then take the queue. Every
// handle must come out exactly once, with its own response, and no
// wake-up may be lost (a lost one shows as a 5 s poll timeout).
TEST_F(SuspensionTest, ManyThreadsResumeManyHandles) {
    constexpr int kThreads = 8;
    constexpr int kPerThread = 250;
    constexpr int kTotal = kThreads * kPerThread;
    EventfdWaker waker;
    std::atomic<int> wakes{0};
    ResumeQueue queue([&] {
        ++wakes;
        waker.activate('r');
    });
    std::vector<ResumeHandle> handles;
    std::map<SuspendedConnection*, int> index_of;
    for (int i = 0; i < kTotal; ++i) {
        handles.push_back(RequestContext(&connection_, queue, kPeer, kServer, kPort).suspend());
        index_of[handles.back().get()] = i;
    }

    std::atomic<int> refused{0};
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = t; i < kTotal; i += kThreads)
                if (!handles[i]->resume(text(std::to_string(i)))) ++refused;
        });
    }

    std::map<int, int> taken;  // handle index -> times seen
    int collected = 0;
    bool lost_wakeup = false;
    while (collected < kTotal) {
        pollfd pfd{waker.poll_fd(), POLLIN, 0};
        if (::poll(&pfd, 1, 5000) != 1) {
            lost_wakeup = true;
            break;
        }
        waker.clear();  // first clear, then look at the state
        for (const ResumeHandle& handle : queue.take_all()) {
            auto [connection, response] = handle->take();
            const int index = index_of.at(handle.get());
            ++taken[index];
            ++collected;
            EXPECT_EQ(connection, &connection_);
            EXPECT_EQ(response.body, std::to_string(index));
        }
    }
    for (auto& producer : producers) producer.join();

    EXPECT_FALSE(lost_wakeup) << "only " << collected << " of " << kTotal << " handles arrived";
    EXPECT_EQ(refused, 0);
    EXPECT_EQ(wakes, kTotal);  // one wake per resume(); the Waker merges them
    EXPECT_EQ(static_cast<int>(taken.size()), kTotal);
    for (auto [index, times] : taken) EXPECT_EQ(times, 1) << "handle " << index;
    EXPECT_TRUE(queue.take_all().empty());
}

// Several threads race to resume the same handles: exactly one wins each.
TEST_F(SuspensionTest, RacingResumesOnOneHandleOneWins) {
    constexpr int kThreads = 8;
    constexpr int kHandles = 200;
    std::vector<ResumeHandle> handles;
    for (int i = 0; i < kHandles; ++i)
        handles.push_back(RequestContext(&connection_, queue_, kPeer, kServer, kPort).suspend());
    std::vector<std::atomic<int>> wins(kHandles);
    std::atomic<bool> go{false};
    std::vector<std::thread> racers;
    for (int t = 0; t < kThreads; ++t) {
        racers.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < kHandles; ++i)
                if (handles[i]->resume(text("thread " + std::to_string(t)))) ++wins[i];
        });
    }
    go.store(true);
    for (auto& racer : racers) racer.join();

    for (int i = 0; i < kHandles; ++i) EXPECT_EQ(wins[i].load(), 1) << "handle " << i;
    EXPECT_EQ(wakes_, kHandles);
    std::vector<ResumeHandle> ready = queue_.take_all();
    EXPECT_EQ(ready.size(), static_cast<std::size_t>(kHandles));
    std::set<SuspendedConnection*> distinct;
    for (const auto& handle : ready) distinct.insert(handle.get());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kHandles));
}

// The connection closes (detach, on the worker) while another thread
// resumes: whoever wins, nothing reaches a closed connection, and the
// handle is queued exactly when resume() said true.
TEST_F(SuspensionTest, ResumeRacingDetachNeverHandsOutAClosedConnection) {
    for (int round = 0; round < 200; ++round) {
        std::atomic<int> wakes{0};
        ResumeQueue queue([&] { ++wakes; });
        ResumeHandle handle = RequestContext(&connection_, queue, kPeer, kServer, kPort).suspend();
        bool resumed = false;
        std::thread resumer([&] { resumed = handle->resume(text("race")); });
        std::thread closer([&] { handle->detach(); });
        resumer.join();
        closer.join();
        EXPECT_EQ(handle->take().first, nullptr);
        EXPECT_EQ(queue.take_all().size(), resumed ? 1u : 0u);
        EXPECT_EQ(wakes, resumed ? 1 : 0);
    }
}

}  // namespace
