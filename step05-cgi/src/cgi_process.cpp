// fork, pipes, dup2, execve, pidfd, waitpid. Introduced in step05.
// Tinyhttpd's execute_cgi() does the same steps; the comments say where
// this version differs and why. (--cgi-launch spawn: cgi_spawn.cpp.)
#include "cgi_process.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "errors.hpp"
#include "trace.hpp"

namespace {

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
};

// Both ends close-on-exec: only what dup2() puts on 0 and 1 survives exec.
bool make_pipe(Pipe& pipe) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) return false;
    pipe.read_end.reset(ends[0]);
    pipe.write_end.reset(ends[1]);
    return true;
}

// pidfd_open(2): a descriptor that becomes readable when the process exits,
// so a worker can wait for a child in poll(). Always close-on-exec.
// (glibc's wrapper is missing a C++ declaration on Debian 12: call it directly.)
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// In the child, between fork and exec: async-signal-safe calls only (no
// malloc, no locks, no iostreams: another thread may have held a lock at
// the moment of fork, and the child would wait for it forever).
[[noreturn]] void become_cgi_program(int stdin_fd, int stdout_fd, const char* program,
                                     const char* directory, char* const* argv,
                                     char* const* envp) {
    ::setpgid(0, 0);  // its own process group, so a timeout kills all of it
    if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0) ::_exit(127);
    // dup2() onto the same number keeps FD_CLOEXEC; clear it either way.
    ::fcntl(STDIN_FILENO, F_SETFD, 0);
    ::fcntl(STDOUT_FILENO, F_SETFD, 0);
    // Everything the server opens is close-on-exec already. This also drops
    // descriptors the server itself inherited from whoever started it.
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    // Ignored signals and the blocked mask survive exec: the server ignores
    // SIGPIPE, its threads block others, and its own parent may have left
    // some ignored. A program expects the defaults. (sigaction() refuses
    // the few signals glibc keeps for itself; that is fine.) Only the
    // ignored ones need it, as exec resets caught ones, but telling which
    // are ignored takes the same 64 calls; a list made once at start-up
    // would go stale. The loop costs about 13 us of a request's ~1 ms.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::chdir(directory) != 0) ::_exit(127);
    ::execve(program, argv, envp);
    // exec failed. _exit, not exit: exit() would run the server's atexit
    // handlers and flush its stdio buffers a second time, from the child.
    ::_exit(127);
}

// fork(), then become_cgi_program() in the child. Returns the child's pid
// in the parent, or -1 with `error` set.
pid_t fork_cgi_program(const CgiChildSetup& setup, CgiStartError& error) {
    pid_t pid = ::fork();
    if (pid < 0) {
        error.detail = errno_message("fork");
        return -1;
    }
    if (pid == 0)
        become_cgi_program(setup.stdin_fd, setup.stdout_fd, setup.program, setup.directory,
                           setup.argv, setup.envp);
    // Parent. Set the group here too, so it exists whichever runs first.
    ::setpgid(pid, pid);
    return pid;
}

}  // namespace

std::unique_ptr<CgiProcess> CgiProcess::spawn(const std::string& program,
                                              const std::string& directory, char* const* envp,
                                              CgiLaunchMethod how, ChildReaper& reaper,
                                              CgiStartError& error) {
    Pipe in, out;
    if (!make_pipe(in) || !make_pipe(out)) {
        error.detail = errno_message("pipe2");
        return nullptr;
    }
    // argv[0] is the program's path (Tinyhttpd's execl(path, NULL) leaves
    // it empty). Built before fork: the child must not allocate.
    std::string argv0 = program;
    char* argv[] = {argv0.data(), nullptr};
    const CgiChildSetup setup{in.read_end.get(), out.write_end.get(), program.c_str(),
                              directory.c_str(), argv, envp};

    // fork_cgi_program (above) is this chapter's way; --cgi-launch spawn
    // makes the same child with posix_spawn (cgi_spawn.cpp).
    const bool posix = how == CgiLaunchMethod::kPosixSpawn;
    pid_t pid = posix ? spawn_cgi_program(setup, error) : fork_cgi_program(setup, error);
    if (pid < 0) return nullptr;

    // The child's ends must close here, or the child would never
    // see EOF on stdin and we would never see EOF on its stdout.
    in.read_end.reset();
    out.write_end.reset();
    set_nonblocking(in.write_end.get());
    set_nonblocking(out.read_end.get());
    UniqueFd pid_fd(open_pidfd(pid));
    if (!pid_fd) {
        error.detail = errno_message("pidfd_open");
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        int status;
        ::waitpid(pid, &status, 0);  // just killed: returns at once
        return nullptr;
    }
    trace("cgi", "spawn pid=" + std::to_string(pid) + " " + program +
                     (posix ? " (posix_spawn)" : ""));
    return std::unique_ptr<CgiProcess>(new CgiProcess(
        pid, std::move(pid_fd), std::move(in.write_end), std::move(out.read_end), reaper));
}

CgiProcess::CgiProcess(pid_t pid, UniqueFd pid_fd, UniqueFd stdin_fd, UniqueFd stdout_fd,
                       ChildReaper& reaper)
    : pid_(pid),
      pid_fd_(std::move(pid_fd)),
      stdin_(std::move(stdin_fd)),
      stdout_(std::move(stdout_fd)),
      reaper_(reaper) {}

CgiProcess::~CgiProcess() {
    if (reaped_ || try_reap()) return;
    if (kill_on_destroy_) kill_group();
    reaper_.adopt(pid_, std::move(pid_fd_));
}

bool CgiProcess::try_reap() {
    if (reaped_) return true;
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);  // never blocks a worker
    if (done != pid_) return false;
    reaped_ = true;
    status_ = status;
    pid_fd_.reset();
    trace("cgi", "reaped pid=" + std::to_string(pid_) + " status=" + std::to_string(status));
    return true;
}

void CgiProcess::kill_group() {
    if (reaped_) return;
    ::kill(-pid_, SIGKILL);  // the group: the script and its children
    ::kill(pid_, SIGKILL);   // in case it had not reached setpgid yet
}

void ChildReaper::adopt(pid_t pid, UniqueFd pid_fd) {
    children_.push_back(Child{pid, std::move(pid_fd)});
}

void ChildReaper::reap_exited() {
    std::erase_if(children_, [](const Child& child) {
        int status;
        if (::waitpid(child.pid, &status, WNOHANG) != child.pid) return false;
        trace("cgi", "reaped pid=" + std::to_string(child.pid) + " (by the reaper)");
        return true;
    });
}

ChildReaper::~ChildReaper() {
    for (const Child& child : children_) {
        ::kill(-child.pid, SIGKILL);  // the worker is stopping: nothing waits longer
        ::kill(child.pid, SIGKILL);
        int status;
        ::waitpid(child.pid, &status, 0);  // killed: a short wait
    }
}
