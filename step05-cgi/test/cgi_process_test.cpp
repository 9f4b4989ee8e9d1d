// Unit tests for CgiProcess and ChildReaper: real children, started from
// small /bin/sh scripts written to a temporary directory. They check what
// the child gets (stdin and stdout pipes, argv[0], working directory,
// environment, descriptors, signals), what happens when exec fails, and
// that every child is killed with its process group and reaped. Every test
// runs twice: children made by fork, and by posix_spawn (--cgi-launch).
// Introduced in step05.
#include "cgi_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

// gtest names the parameter in a failure: "fork" or "posix_spawn".
void PrintTo(CgiLaunchMethod how, std::ostream* out) {
    *out << (how == CgiLaunchMethod::kFork ? "fork" : "posix_spawn");
}

namespace {

using namespace std::chrono_literals;

// Long enough for a loaded machine; a passing test never waits for it.
constexpr int kWaitMs = 10'000;

// A directory of scripts, removed at the end of the test.
class ScriptDir {
public:
    ScriptDir() {
        std::string pattern = ::testing::TempDir() + "stephttpd-cgi-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << std::strerror(errno);
        // The canonical path: the child's getcwd() reports that one.
        std::unique_ptr<char, decltype(&std::free)> real(::realpath(pattern.c_str(), nullptr),
                                                         &std::free);
        path_ = real ? real.get() : pattern;
    }
    ~ScriptDir() {
        for (const std::string& file : files_) ::unlink(file.c_str());
        ::rmdir(path_.c_str());
    }

    // Writes `name` with a /bin/sh first line and `body`; returns its path.
    std::string script(const std::string& name, const std::string& body, mode_t mode = 0755) {
        std::string file = path_ + "/" + name;
        {
            std::ofstream out(file);
            out << "#!/bin/sh\n" << body;
        }
        ::chmod(file.c_str(), mode);
        files_.push_back(file);
        return file;
    }

    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::vector<std::string> files_;
};

// A null-terminated "NAME=value" array, as CgiEnvironment::envp() gives.
class Env {
public:
    explicit Env(std::vector<std::string> variables) : variables_(std::move(variables)) {
        for (std::string& v : variables_) pointers_.push_back(v.data());
        pointers_.push_back(nullptr);
    }
    char* const* envp() const { return pointers_.data(); }

private:
    std::vector<std::string> variables_;
    std::vector<char*> pointers_;
};

const Env& default_env() {
    static const Env env({"PATH=/usr/bin:/bin"});
    return env;
}

std::unique_ptr<CgiProcess> spawn_with(CgiLaunchMethod how, const std::string& program,
                                       const std::string& directory, ChildReaper& reaper,
                                       const Env& env) {
    CgiStartError error;
    auto process = CgiProcess::spawn(program, directory, env.envp(), how, reaper, error);
    EXPECT_TRUE(process) << error.detail;
    EXPECT_TRUE(error.detail.empty()) << error.detail;
    return process;
}

bool wait_readable(int fd, int timeout_ms = kWaitMs) {
    pollfd p{fd, POLLIN, 0};
    int ready;
    do ready = ::poll(&p, 1, timeout_ms);
    while (ready < 0 && errno == EINTR);
    return ready == 1;
}

// Reads the (non-blocking) stdout pipe until `until` appears or, when
// `until` is empty, until end of file. Fails the test on a timeout.
std::string read_output(CgiProcess& process, const std::string& until = {}) {
    std::string out;
    char buffer[4096];
    for (;;) {
        if (!until.empty() && out.find(until) != std::string::npos) return out;
        if (!wait_readable(process.stdout_fd())) {
            ADD_FAILURE() << "no output in time; so far: " << out;
            return out;
        }
        ssize_t n = ::read(process.stdout_fd(), buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return out;  // EOF: every write end is closed
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

// Writes all of `data` to the child's stdin (a non-blocking pipe).
void write_input(CgiProcess& process, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(process.stdin_fd(), data.data(), data.size());
        if (n < 0 && errno == EAGAIN) {
            pollfd p{process.stdin_fd(), POLLOUT, 0};
            ASSERT_EQ(::poll(&p, 1, kWaitMs), 1);
            continue;
        }
        ASSERT_GT(n, 0) << std::strerror(errno);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Waits for the child's exit on its pidfd, as the worker does, then reaps it.
void wait_and_reap(CgiProcess& process) {
    ASSERT_GE(process.pid_fd(), 0);
    ASSERT_TRUE(wait_readable(process.pid_fd())) << "the child did not exit";
    ASSERT_TRUE(process.try_reap());
}

bool is_reaped(pid_t pid) {  // no zombie left: waitpid knows no such child
    int status;
    return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

std::set<std::string> open_descriptors(pid_t pid) {
    std::set<std::string> fds;
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return fds;
    while (dirent* entry = ::readdir(d))
        if (entry->d_name[0] != '.') fds.insert(entry->d_name);
    ::closedir(d);
    return fds;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool have(const char* program) { return ::access(program, X_OK) == 0; }

bool no_child_left() {  // not even a zombie
    int status;
    return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

// The parameter: how the child is made, fork or posix_spawn.
class CgiProcessTest : public ::testing::TestWithParam<CgiLaunchMethod> {
protected:
    // A forked child starts with a copy of the parent's unwritten stdio
    // buffers. The server flushes stdout after its one line; this test
    // binary must too, or a sanitizer's _exit() hook in a child whose exec
    // failed could flush gtest's output into the child's stdout pipe.
    void SetUp() override { std::fflush(nullptr); }

    bool forks() const { return GetParam() == CgiLaunchMethod::kFork; }

    std::unique_ptr<CgiProcess> spawn(const std::string& program, const std::string& directory,
                                      ChildReaper& reaper, const Env& env = default_env()) {
        return spawn_with(GetParam(), program, directory, reaper, env);
    }

    // A program that cannot be executed. After fork, exec fails in the
    // child, which leaves with _exit(127), the shell's "command not found"
    // status, having written nothing (the status line is not sent before
    // the program runs, so the server can still answer 502). posix_spawn
    // returns exec's errno instead: no child, and a 502 at once.
    void expect_exec_failure(const std::string& program, const std::string& directory,
                             int expected_errno) {
        CgiStartError error;
        auto process = CgiProcess::spawn(program, directory, default_env().envp(), GetParam(),
                                         reaper, error);
        if (forks()) {
            ASSERT_TRUE(process) << error.detail;  // fork worked; exec fails in the child
            EXPECT_EQ(read_output(*process), "");
            wait_and_reap(*process);
            ASSERT_TRUE(WIFEXITED(process->exit_status()));
            EXPECT_EQ(WEXITSTATUS(process->exit_status()), 127);
            return;
        }
        EXPECT_FALSE(process) << "posix_spawn reported no error";
        EXPECT_EQ(error.status, 502);
        EXPECT_NE(error.reason.find(std::strerror(expected_errno)), std::string::npos)
            << error.reason;
        EXPECT_NE(error.detail.find(program), std::string::npos) << error.detail;
        EXPECT_TRUE(no_child_left()) << "glibc reaps the child whose exec failed";
    }

    ScriptDir dir;
    ChildReaper reaper;
};

// The request body goes in through stdin, the output comes back through
// stdout; closing our end of stdin is the child's end of file.
TEST_P(CgiProcessTest, StdinAndStdoutArePipes) {
    auto program = dir.script("echo.sh", "read line\nprintf 'got:%s\\n' \"$line\"\ncat\necho end\n");
    auto process = spawn(program, dir.path(), reaper);
    ASSERT_TRUE(process);
    EXPECT_GT(process->pid(), 0);
    write_input(*process, "hello\nrest of the body");
    process->close_stdin();
    EXPECT_EQ(process->stdin_fd(), -1);
    // EOF arrives: the server closed the child's ends after fork, and the
    // child exited, so no write end of stdout is left open anywhere.
    EXPECT_EQ(read_output(*process), "got:hello\nrest of the bodyend\n");
    wait_and_reap(*process);
    EXPECT_TRUE(WIFEXITED(process->exit_status()));
    EXPECT_EQ(WEXITSTATUS(process->exit_status()), 0);
}

// Our ends are non-blocking (a worker never waits on a pipe) and close-on-exec
// (a later child does not inherit this child's pipes).
TEST_P(CgiProcessTest, ServerEndsAreNonBlockingAndCloseOnExec) {
    auto process = spawn(dir.script("wait.sh", "cat >/dev/null\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    for (int fd : {process->stdin_fd(), process->stdout_fd(), process->pid_fd()}) {
        ASSERT_GE(fd, 0);
        EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd;
    }
    EXPECT_TRUE(::fcntl(process->stdin_fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(process->stdout_fd(), F_GETFL) & O_NONBLOCK);
    char c;
    EXPECT_EQ(::read(process->stdout_fd(), &c, 1), -1);  // no output yet:
    EXPECT_EQ(errno, EAGAIN);                              // EAGAIN, not a wait
    process->close_stdin();
    EXPECT_EQ(read_output(*process), "");
    wait_and_reap(*process);
}

// 1 MiB through cat, both ways at once, 64 KiB pipes: written only when the
// pipe has room, read as it comes. A blocking write of the whole body first
// would never finish (cat blocks writing output that nobody reads).
TEST_P(CgiProcessTest, LargeDataFlowsBothWaysWithoutDeadlock) {
    auto process = spawn(dir.script("cat.sh", "exec cat\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    std::string input(1 << 20, '\0');
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
    std::size_t written = 0;
    std::string output;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd fds[2] = {{process->stdin_fd(), POLLOUT, 0}, {process->stdout_fd(), POLLIN, 0}};
        ASSERT_GT(::poll(fds, 2, kWaitMs), 0);
        if (fds[0].revents) {
            ssize_t n = ::write(process->stdin_fd(), input.data() + written, input.size() - written);
            if (n > 0) written += static_cast<std::size_t>(n);
            if (written == input.size()) process->close_stdin();  // fd -1: poll skips it
        }
        if (fds[1].revents) {
            char buffer[16 * 1024];
            ssize_t n = ::read(process->stdout_fd(), buffer, sizeof buffer);
            if (n == 0) break;
            if (n > 0) output.append(buffer, static_cast<std::size_t>(n));
        }
    }
    EXPECT_EQ(written, input.size());
    EXPECT_EQ(output.size(), input.size());
    EXPECT_TRUE(output == input);
    wait_and_reap(*process);
}

// argv[0] is the program's path, and there is no other argument (nothing
// from the query string). A shell script cannot show its argv[0] (the
// kernel replaces it with the interpreter's), so this runs /bin/cat itself
// and reads its command line from /proc while it waits on stdin.
TEST_P(CgiProcessTest, Argv0IsTheProgramPath) {
    if (!have("/bin/cat")) GTEST_SKIP() << "no /bin/cat";
    auto process = spawn("/bin/cat", dir.path(), reaper);
    ASSERT_TRUE(process);
    write_input(*process, "ping\n");
    EXPECT_EQ(read_output(*process, "ping\n"), "ping\n");  // exec has happened
    std::string cmdline = read_file("/proc/" + std::to_string(process->pid()) + "/cmdline");
    EXPECT_EQ(cmdline, std::string("/bin/cat\0", 9));  // argv = {"/bin/cat", NULL}
    process->close_stdin();
    read_output(*process);
    wait_and_reap(*process);
}

// A script sees its own path as $0: the one execve() was given.
TEST_P(CgiProcessTest, ScriptIsRunByItsPath) {
    auto program = dir.script("self.sh", "printf '%s\\n' \"$0\"\n");
    auto process = spawn(program, dir.path(), reaper);
    ASSERT_TRUE(process);
    EXPECT_EQ(read_output(*process), program + "\n");
    wait_and_reap(*process);
}

// The child runs in the directory it was given (the program's directory,
// RFC 3875 §7.2: relative paths in a script mean what its author expects).
TEST_P(CgiProcessTest, WorkingDirectoryIsTheProgramsDirectory) {
    auto program = dir.script("pwd.sh", "pwd -P\ncat data.txt\n");
    {
        std::ofstream(dir.path() + "/data.txt") << "beside the script\n";
    }
    auto process = spawn(program, dir.path(), reaper);
    ASSERT_TRUE(process);
    EXPECT_EQ(read_output(*process), dir.path() + "\nbeside the script\n");
    wait_and_reap(*process);
    ::unlink((dir.path() + "/data.txt").c_str());
    char here[4096];
    ASSERT_NE(::getcwd(here, sizeof here), nullptr);
    EXPECT_NE(std::string(here), dir.path()) << "chdir happened in the server";
}

// The environment is exactly envp: nothing of the server's own. /usr/bin/env
// runs as the program itself, so no shell adds PWD or SHLVL.
TEST_P(CgiProcessTest, EnvironmentIsExactlyEnvp) {
    if (!have("/usr/bin/env")) GTEST_SKIP() << "no /usr/bin/env";
    ASSERT_EQ(::setenv("STEPHTTPD_SERVER_SECRET", "do-not-leak", 1), 0);
    Env env({"GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=a=1&b=two words", "EMPTY="});
    auto process = spawn("/usr/bin/env", dir.path(), reaper, env);
    ::unsetenv("STEPHTTPD_SERVER_SECRET");
    ASSERT_TRUE(process);
    process->close_stdin();
    EXPECT_EQ(read_output(*process),
              "GATEWAY_INTERFACE=CGI/1.1\nQUERY_STRING=a=1&b=two words\nEMPTY=\n");
    wait_and_reap(*process);
}

TEST_P(CgiProcessTest, EmptyEnvironment) {
    if (!have("/usr/bin/env")) GTEST_SKIP() << "no /usr/bin/env";
    Env env({});
    auto process = spawn("/usr/bin/env", dir.path(), reaper, env);
    ASSERT_TRUE(process);
    EXPECT_EQ(read_output(*process), "");
    wait_and_reap(*process);
    EXPECT_EQ(WEXITSTATUS(process->exit_status()), 0);
}

// The child holds exactly 0, 1 and 2, even when the server has descriptors
// without close-on-exec (here: inherited ones, opened the careless way). The
// child's 0 and 1 are the two pipes whose other ends the server holds.
TEST_P(CgiProcessTest, ChildHoldsOnlyDescriptors012) {
    if (!have("/bin/cat")) GTEST_SKIP() << "no /bin/cat";
    std::vector<int> careless;
    for (int i = 0; i < 3; ++i) careless.push_back(::open("/dev/null", O_RDONLY));  // no O_CLOEXEC
    int careless_pipe[2];
    ASSERT_EQ(::pipe(careless_pipe), 0);
    careless.push_back(careless_pipe[0]);
    careless.push_back(careless_pipe[1]);
    for (int fd : careless) {
        ASSERT_GE(fd, 3);
        ASSERT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    }

    auto process = spawn("/bin/cat", dir.path(), reaper);
    for (int fd : careless) ::close(fd);
    ASSERT_TRUE(process);
    write_input(*process, "sync\n");
    read_output(*process, "sync\n");  // cat is running and waits on stdin

    const std::string proc = "/proc/" + std::to_string(process->pid()) + "/fd/";
    EXPECT_EQ(open_descriptors(process->pid()), (std::set<std::string>{"0", "1", "2"}));
    auto pipe_name = [](int fd) {
        struct stat st {};
        ::fstat(fd, &st);
        return "pipe:[" + std::to_string(st.st_ino) + "]";
    };
    char link[256] = {};
    ASSERT_GT(::readlink((proc + "0").c_str(), link, sizeof link - 1), 0);
    EXPECT_EQ(std::string(link), pipe_name(process->stdin_fd()));
    std::memset(link, 0, sizeof link);
    ASSERT_GT(::readlink((proc + "1").c_str(), link, sizeof link - 1), 0);
    EXPECT_EQ(std::string(link), pipe_name(process->stdout_fd()));

    process->close_stdin();
    read_output(*process);
    wait_and_reap(*process);
}

// The server ignores SIGPIPE and its threads block signals; the child gets
// the defaults back. Here the test process plays the server.
class ServerSignalState {
public:
    ServerSignalState() {
        old_pipe_ = std::signal(SIGPIPE, SIG_IGN);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGUSR1);
        ::pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
    }
    ~ServerSignalState() {
        ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
        std::signal(SIGPIPE, old_pipe_);
    }

private:
    void (*old_pipe_)(int);
    sigset_t old_mask_;
};

// A program writing to a client that left dies of SIGPIPE, as any Unix
// program expects, instead of writing into the void for ever.
TEST_P(CgiProcessTest, SigpipeIsDefaultInTheChild) {
    ServerSignalState server_like;
    // With SIGPIPE ignored, echo would fail with EPIPE and the script would
    // go on to exit 3; with the default, the write kills it.
    auto program = dir.script("pipe.sh", "read go\necho into-a-closed-pipe\nexit 3\n");
    auto process = spawn(program, dir.path(), reaper);
    ASSERT_TRUE(process);
    process->close_stdout();  // the reader goes away first
    write_input(*process, "go\n");
    process->close_stdin();
    wait_and_reap(*process);
    ASSERT_TRUE(WIFSIGNALED(process->exit_status())) << "status " << process->exit_status();
    EXPECT_EQ(WTERMSIG(process->exit_status()), SIGPIPE);
}

TEST_P(CgiProcessTest, ChildHasNoBlockedOrIgnoredSignals) {
    ServerSignalState server_like;
    // Builtins only: the shell reads its own status. (A forked grep would
    // catch the shell blocking signals while it waits for grep.)
    auto program = dir.script("signals.sh",
                              "while IFS= read -r line; do\n"
                              "    case $line in SigBlk:* | SigIgn:*) printf '%s\\n' \"$line\" ;; esac\n"
                              "done </proc/$$/status\n");
    auto process = spawn(program, dir.path(), reaper);
    ASSERT_TRUE(process);
    // Signals 32 and 33 belong to glibc (thread cancellation, setxid): no
    // program can change them, and they may arrive ignored from whoever
    // started the test. Every other signal must be blocked nowhere and
    // ignored nowhere.
    std::string out = read_output(*process);
    auto mask_of = [&](const std::string& field) {
        auto at = out.find(field + ":\t");
        EXPECT_NE(at, std::string::npos) << out;
        if (at == std::string::npos) return ~0ull;
        return std::stoull(out.substr(at + field.size() + 2, 16), nullptr, 16);
    };
    constexpr unsigned long long kGlibcReserved = (1ull << 31) | (1ull << 32);
    EXPECT_EQ(mask_of("SigBlk"), 0ull) << out;
    EXPECT_EQ(mask_of("SigIgn") & ~kGlibcReserved, 0ull) << out;
    wait_and_reap(*process);
}

TEST_P(CgiProcessTest, ExitStatusAsFromWaitpid) {
    auto process = spawn(dir.script("seven.sh", "exit 7\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    EXPECT_FALSE(process->reaped());
    wait_and_reap(*process);
    EXPECT_TRUE(process->reaped());
    EXPECT_EQ(process->pid_fd(), -1);  // closed once reaped
    EXPECT_TRUE(WIFEXITED(process->exit_status()));
    EXPECT_EQ(WEXITSTATUS(process->exit_status()), 7);
    EXPECT_TRUE(process->try_reap());  // again: still true, nothing to wait for
    EXPECT_TRUE(is_reaped(process->pid()));
}

// try_reap never blocks: a running child is simply not reaped yet.
TEST_P(CgiProcessTest, TryReapDoesNotWaitForARunningChild) {
    auto process = spawn(dir.script("cat.sh", "exec cat\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(process->try_reap());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_FALSE(process->reaped());
    EXPECT_GE(process->pid_fd(), 0);
    process->close_stdin();
    wait_and_reap(*process);
    EXPECT_EQ(WEXITSTATUS(process->exit_status()), 0);
}

// Execute bits missing (CgiHandler checks them, but a file can change
// between the check and the exec).
TEST_P(CgiProcessTest, NotExecutableFailsToExec) {
    auto program = dir.script("plain.sh", "echo should not run\n", 0644);
    expect_exec_failure(program, dir.path(), EACCES);
}

TEST_P(CgiProcessTest, MissingProgramFailsToExec) {
    expect_exec_failure(dir.path() + "/no-such-program", dir.path(), ENOENT);
}

// A script whose interpreter does not exist: execve fails with ENOENT.
TEST_P(CgiProcessTest, MissingInterpreterFailsToExec) {
    std::string program = dir.path() + "/bad-interpreter.sh";
    {
        std::ofstream(program) << "#!/no/such/interpreter\necho should not run\n";
    }
    ::chmod(program.c_str(), 0755);
    expect_exec_failure(program, dir.path(), ENOENT);
    ::unlink(program.c_str());
}

// chdir fails before exec: the same answer as a failed exec.
TEST_P(CgiProcessTest, MissingDirectoryFailsToExec) {
    auto program = dir.script("ok.sh", "echo ran\n");
    expect_exec_failure(program, dir.path() + "/no-such-directory", ENOENT);
}

// The child leads its own process group, so kill_group() reaches what it
// started too: here a background sleep that would otherwise outlive it
// (and keep the stdout pipe open, so the server would never see EOF).
TEST_P(CgiProcessTest, KillGroupKillsChildAndGrandchild) {
    auto program = dir.script("spawner.sh", "sleep 100 &\necho $!\nwait\n");
    auto process = spawn(program, dir.path(), reaper);
    ASSERT_TRUE(process);
    std::string line = read_output(*process, "\n");
    pid_t grandchild = std::atoi(line.c_str());
    ASSERT_GT(grandchild, 0) << line;
    EXPECT_EQ(::getpgid(process->pid()), process->pid());
    EXPECT_EQ(::getpgid(grandchild), process->pid());
    // Not our child: follow its exit with a pidfd of our own.
    int grandchild_fd = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
    ASSERT_GE(grandchild_fd, 0) << std::strerror(errno);

    process->kill_group();
    wait_and_reap(*process);
    ASSERT_TRUE(WIFSIGNALED(process->exit_status()));
    EXPECT_EQ(WTERMSIG(process->exit_status()), SIGKILL);
    EXPECT_TRUE(wait_readable(grandchild_fd)) << "the grandchild survived";
    ::close(grandchild_fd);
    EXPECT_EQ(read_output(*process), "");  // EOF: nobody holds stdout any more
}

// A CgiProcess destroyed while its child runs (the client left, the server
// stops) kills it and hands it to the reaper, whose pidfd tells the worker
// when to reap it.
TEST_P(CgiProcessTest, DestroyedWhileRunningHandsTheChildToTheReaper) {
    auto process = spawn(dir.script("sleep.sh", "exec sleep 100\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    const pid_t pid = process->pid();
    EXPECT_EQ(reaper.size(), 0u);
    process.reset();
    ASSERT_EQ(reaper.size(), 1u);
    ASSERT_GE(reaper.fd(0), 0);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (reaper.size() > 0 && std::chrono::steady_clock::now() < deadline) {
        ASSERT_TRUE(wait_readable(reaper.fd(0)));  // as in the worker's poll set
        reaper.reap_exited();
    }
    EXPECT_EQ(reaper.size(), 0u);
    EXPECT_TRUE(is_reaped(pid));
}

// A child that already exited is reaped by the destructor itself.
TEST_P(CgiProcessTest, DestroyedAfterExitReapsDirectly) {
    auto process = spawn(dir.script("quick.sh", "exit 0\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    const pid_t pid = process->pid();
    ASSERT_TRUE(wait_readable(process->pid_fd()));  // exited, not reaped yet
    process.reset();
    EXPECT_EQ(reaper.size(), 0u);
    EXPECT_TRUE(is_reaped(pid));
}

// reap_exited() leaves children that have not exited yet alone.
TEST_P(CgiProcessTest, ReapExitedKeepsChildrenThatStillRun) {
    // SIGKILL takes a moment to act: right after the hand-over the child may
    // still be alive, and reap_exited() must then keep it, not wait for it.
    auto process = spawn(dir.script("cat.sh", "exec cat\n"), dir.path(), reaper);
    ASSERT_TRUE(process);
    const pid_t pid = process->pid();
    process.reset();  // killed and adopted
    ASSERT_EQ(reaper.size(), 1u);
    reaper.reap_exited();  // may or may not have exited already: never blocks
    ASSERT_LE(reaper.size(), 1u);
    if (reaper.size() == 1) {
        ASSERT_TRUE(wait_readable(reaper.fd(0)));
        reaper.reap_exited();
    }
    EXPECT_EQ(reaper.size(), 0u);
    EXPECT_TRUE(is_reaped(pid));
}

// At worker exit the reaper waits for what it still holds: no zombie
// outlives the worker.
TEST_P(CgiProcessTest, ReaperDestructorReapsWhatIsLeft) {
    pid_t pid = 0;
    {
        ChildReaper local;
        auto process = spawn(dir.script("sleep.sh", "exec sleep 100\n"), dir.path(), local);
        ASSERT_TRUE(process);
        pid = process->pid();
        process.reset();
        EXPECT_EQ(local.size(), 1u);
    }
    EXPECT_TRUE(is_reaped(pid));
}

// Many short children, none left behind.
TEST_P(CgiProcessTest, ManyChildrenLeaveNoZombies) {
    auto program = dir.script("hi.sh", "echo hi\n");
    std::vector<pid_t> pids;
    for (int i = 0; i < 50; ++i) {
        auto process = spawn(program, dir.path(), reaper);
        ASSERT_TRUE(process);
        pids.push_back(process->pid());
        EXPECT_EQ(read_output(*process), "hi\n");
        if (i % 2 == 0) wait_and_reap(*process);  // the others: the destructor
    }
    for (int i = 0; reaper.size() > 0 && i < 100; ++i) {
        ASSERT_TRUE(wait_readable(reaper.fd(0)));
        reaper.reap_exited();
    }
    EXPECT_EQ(reaper.size(), 0u);
    for (pid_t pid : pids) EXPECT_TRUE(is_reaped(pid)) << pid;
}

INSTANTIATE_TEST_SUITE_P(Launch, CgiProcessTest,
                         ::testing::Values(CgiLaunchMethod::kFork, CgiLaunchMethod::kPosixSpawn),
                         [](const ::testing::TestParamInfo<CgiLaunchMethod>& info) {
                             return info.param == CgiLaunchMethod::kFork ? "fork" : "posix_spawn";
                         });

}  // namespace
