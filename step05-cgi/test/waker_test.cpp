// The Waker (libmicrohttpd's ITC): both backends, the eventfd and the pipe,
// must behave the same. Each test runs once per backend.
#include "waker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// True when `fd` is readable right now (poll with a zero timeout).
bool readable(int fd) {
    pollfd pfd{fd, POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

// The descriptors this process has open, read from /proc/self/fd.
std::set<int> open_fds() {
    std::set<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return fds;
    const int own = ::dirfd(dir);
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        int fd = std::stoi(entry->d_name);
        if (fd != own) fds.insert(fd);
    }
    ::closedir(dir);
    return fds;
}

template <typename W>
class WakerTest : public testing::Test {};

// How many descriptors each backend opens: eventfd one, a pipe two.
template <typename W> constexpr std::size_t kFdCount = 0;
template <> constexpr std::size_t kFdCount<EventfdWaker> = 1;
template <> constexpr std::size_t kFdCount<PipeWaker> = 2;

using Backends = testing::Types<EventfdWaker, PipeWaker>;

class BackendNames {
public:
    template <typename W>
    static std::string GetName(int) {
        return std::is_same_v<W, EventfdWaker> ? "Eventfd" : "Pipe";
    }
};

TYPED_TEST_SUITE(WakerTest, Backends, BackendNames);

TYPED_TEST(WakerTest, NotReadableAtStart) {
    TypeParam waker;
    EXPECT_GE(waker.poll_fd(), 0);
    EXPECT_FALSE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, ActivateMakesItReadable) {
    TypeParam waker;
    waker.activate('e');
    EXPECT_TRUE(readable(waker.poll_fd()));
    // Polling does not consume the wake-up: only clear() does.
    EXPECT_TRUE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, ClearMakesItQuietAgain) {
    TypeParam waker;
    waker.activate('n');
    waker.clear();
    EXPECT_FALSE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, ManyActivationsOneClear) {
    // A thousand wake-ups before the worker looks: one clear() drains them
    // all, so the worker wakes once, not a thousand times.
    TypeParam waker;
    for (int i = 0; i < 1000; ++i) waker.activate('r');
    EXPECT_TRUE(readable(waker.poll_fd()));
    EXPECT_EQ(waker.clear(), "r");
    EXPECT_FALSE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, ActivateNeverBlocksEvenWhenFull) {
    // A pipe holds 64 KiB on Linux; the 65,537th byte would block a
    // blocking pipe. Activation must return at once (EAGAIN is fine: the
    // fd is readable already) and one clear() must still drain everything.
    TypeParam waker;
    for (int i = 0; i < 100'000; ++i) waker.activate('r');
    EXPECT_TRUE(readable(waker.poll_fd()));
    EXPECT_EQ(waker.clear(), "r");
    EXPECT_FALSE(readable(waker.poll_fd()));
    waker.activate('e');  // and it still works after being full
    EXPECT_TRUE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, ClearOnAnEmptyWakerReturnsAtOnce) {
    TypeParam waker;
    // clear() runs in a helper thread; if it blocks, an activation releases
    // it and the test fails instead of hanging.
    std::promise<std::string> result;
    auto cleared = result.get_future();
    std::thread clearing([&] { result.set_value(waker.clear()); });
    const bool returned = cleared.wait_for(5s) == std::future_status::ready;
    if (!returned) waker.activate('e');
    clearing.join();
    EXPECT_TRUE(returned) << "clear() blocked on an empty waker";
    if (returned) {
        EXPECT_EQ(cleared.get(), "");
    }
    EXPECT_FALSE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, ReasonsAreTheSetOfLettersActivated) {
    TypeParam waker;
    for (char letter : {'e', 'q', 'r', 'n'}) {
        waker.activate(letter);
        EXPECT_EQ(waker.clear(), std::string(1, letter));
    }
    // Several letters, repeated and out of order: each comes back once.
    for (char letter : {'r', 'n', 'r', 'e', 'n', 'q', 'r'}) waker.activate(letter);
    EXPECT_EQ(waker.clear(), "eqrn");
    waker.activate('n');
    waker.activate('e');
    EXPECT_EQ(waker.clear(), "en");
    // clear() empties the set.
    EXPECT_EQ(waker.clear(), "");
}

TYPED_TEST(WakerTest, AnyLetterWakesTheConsumer) {
    // The consumer acts on shared state, never on the letter: a letter
    // without a name still wakes poll(), it just reports no reason.
    TypeParam waker;
    waker.activate('x');
    EXPECT_TRUE(readable(waker.poll_fd()));
    EXPECT_EQ(waker.clear(), "");
    EXPECT_FALSE(readable(waker.poll_fd()));
}

TYPED_TEST(WakerTest, EveryFdIsCloseOnExecAndNonBlocking) {
    // A step05 CGI child must not inherit a worker's wake-up fd, and a
    // signal handler must never block on a full pipe.
    const std::set<int> before = open_fds();
    TypeParam waker;
    std::vector<int> added;
    for (int fd : open_fds())
        if (!before.count(fd)) added.push_back(fd);
    ASSERT_EQ(added.size(), kFdCount<TypeParam>);
    for (int fd : added) {
        int fd_flags = ::fcntl(fd, F_GETFD);
        int status_flags = ::fcntl(fd, F_GETFL);
        ASSERT_NE(fd_flags, -1) << "fd " << fd;
        ASSERT_NE(status_flags, -1) << "fd " << fd;
        EXPECT_TRUE(fd_flags & FD_CLOEXEC) << "fd " << fd << " lacks FD_CLOEXEC";
        EXPECT_TRUE(status_flags & O_NONBLOCK) << "fd " << fd << " lacks O_NONBLOCK";
    }
}

TYPED_TEST(WakerTest, DestructorClosesItsFds) {
    const std::set<int> before = open_fds();
    { TypeParam waker; }
    EXPECT_EQ(open_fds(), before);
}

TYPED_TEST(WakerTest, AnotherThreadWakesABlockedPoll) {
    // This thread sleeps in poll() with no timeout, as an idle worker does.
    // A watchdog pipe, written only if nothing happened for 10 s, keeps the
    // test from hanging when the wake-up is lost.
    TypeParam waker;
    int watchdog[2];
    ASSERT_EQ(::pipe2(watchdog, O_CLOEXEC), 0);
    std::promise<void> woken;
    std::thread watchdog_thread([&, done = woken.get_future()] {
        if (done.wait_for(10s) == std::future_status::timeout) {
            char byte = 'w';
            ssize_t ignored = ::write(watchdog[1], &byte, 1);
            (void)ignored;
        }
    });
    std::thread producer([&] {
        std::this_thread::sleep_for(50ms);  // most likely after poll() started
        waker.activate('r');
    });

    pollfd fds[2] = {{waker.poll_fd(), POLLIN, 0}, {watchdog[0], POLLIN, 0}};
    const auto start = std::chrono::steady_clock::now();
    int ready = ::poll(fds, 2, -1);
    const auto waited = std::chrono::steady_clock::now() - start;
    woken.set_value();
    producer.join();
    watchdog_thread.join();
    ::close(watchdog[0]);
    ::close(watchdog[1]);

    ASSERT_EQ(ready, 1);
    EXPECT_TRUE(fds[0].revents & POLLIN) << "the waker did not wake poll()";
    EXPECT_FALSE(fds[1].revents & POLLIN) << "woken by the watchdog after 10 s";
    EXPECT_LT(waited, 5s);
    EXPECT_EQ(waker.clear(), "r");
}

TYPED_TEST(WakerTest, ConcurrentProducersLoseNoReason) {
    // Four threads activate while this one clears, as a worker does. Each
    // producer ends with its own letter; after they finish, the letters seen
    // over all clears hold every one, and a final clear leaves it quiet.
    TypeParam waker;
    const std::string letters = "eqrn";
    std::atomic<bool> go{false};
    std::vector<std::thread> producers;
    for (char letter : letters) {
        producers.emplace_back([&, letter] {
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < 2000; ++i) waker.activate(i % 2 ? 'r' : letter);
            waker.activate(letter);
        });
    }
    std::set<char> seen;
    go.store(true);
    for (int i = 0; i < 200; ++i) {
        pollfd pfd{waker.poll_fd(), POLLIN, 0};
        if (::poll(&pfd, 1, 1) == 1)
            for (char c : waker.clear()) seen.insert(c);
    }
    for (auto& producer : producers) producer.join();
    if (readable(waker.poll_fd()))
        for (char c : waker.clear()) seen.insert(c);
    EXPECT_EQ(std::string(seen.begin(), seen.end()), "enqr");
    EXPECT_FALSE(readable(waker.poll_fd()));
    EXPECT_EQ(waker.clear(), "");
}

// A signal handler may call activate(): it does only a write(2) and an
// atomic OR, both async-signal-safe. This is how step04's main thread
// learns about SIGINT, SIGTERM and SIGUSR1.
template <typename W>
W* g_signal_waker = nullptr;

template <typename W>
void on_sigusr2(int) {
    g_signal_waker<W>->activate('q');
}

TYPED_TEST(WakerTest, ActivateFromASignalHandler) {
    TypeParam waker;
    g_signal_waker<TypeParam> = &waker;
    struct sigaction action {}, previous {};
    action.sa_handler = on_sigusr2<TypeParam>;
    sigemptyset(&action.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR2, &action, &previous), 0);
    sigset_t usr2, old_mask;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    ::pthread_sigmask(SIG_UNBLOCK, &usr2, &old_mask);

    ASSERT_EQ(::raise(SIGUSR2), 0);  // the handler runs before raise() returns

    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::sigaction(SIGUSR2, &previous, nullptr);
    g_signal_waker<TypeParam> = nullptr;
    EXPECT_TRUE(readable(waker.poll_fd()));
    EXPECT_EQ(waker.clear(), "q");
    EXPECT_FALSE(readable(waker.poll_fd()));
}

// The build picks one backend as Waker: eventfd on Linux, unless
// STEPHTTPD_PIPE_WAKER forces the pipe.
TEST(WakerChoice, LinuxUsesEventfdUnlessForced) {
#if defined(__linux__) && !defined(STEPHTTPD_PIPE_WAKER)
    EXPECT_TRUE((std::is_same_v<Waker, EventfdWaker>));
#else
    EXPECT_TRUE((std::is_same_v<Waker, PipeWaker>));
#endif
}

}  // namespace
