// posix_spawn: --cgi-launch spawn. Introduced in step05.
//
// The same child as fork() + become_cgi_program() in cgi_process.cpp, each
// step of which becomes an entry in a list that posix_spawn(3) carries out
// between its clone and the exec:
//
//   become_cgi_program (fork)        here (posix_spawn)
//   setpgid(0, 0)                    POSIX_SPAWN_SETPGROUP, group 0
//   dup2(in[0], 0), dup2(out[1], 1)  posix_spawn_file_actions_adddup2
//   close_range(3, ~0U)              posix_spawn_file_actions_addclosefrom_np
//   sigaction(SIG_DFL) x 64          POSIX_SPAWN_SETSIGDEF, every signal
//   sigprocmask(empty)               POSIX_SPAWN_SETSIGMASK, empty
//   chdir(directory)                 posix_spawn_file_actions_addchdir_np
//   execve, _exit(127) on failure    the error is posix_spawn's return value
//
// Why it is faster: glibc creates the child with clone(CLONE_VM |
// CLONE_VFORK). The child runs in the parent's memory, on a stack of its
// own, until execve, and the parent waits for that moment. No page table
// is copied, and the parent's threads take no copy-on-write faults
// afterwards, as they do after fork(). Since parent and child share memory,
// the child reports a failed action or exec through it, and posix_spawn
// returns that errno instead of a pid.
#include "cgi_spawn.hpp"

#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "errors.hpp"

namespace {

// The two lists posix_spawn takes, each destroyed at the end of the call.
class FileActions {
public:
    FileActions() { ::posix_spawn_file_actions_init(&actions_); }
    ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
};

class Attributes {
public:
    Attributes() { ::posix_spawnattr_init(&attr_); }
    ~Attributes() { ::posix_spawnattr_destroy(&attr_); }
    Attributes(const Attributes&) = delete;
    Attributes& operator=(const Attributes&) = delete;
    posix_spawnattr_t* get() { return &attr_; }

private:
    posix_spawnattr_t attr_;
};

// Done in the child, in this order. Each call only records the action; it
// fails (ENOMEM) only when the list cannot grow.
int add_file_actions(posix_spawn_file_actions_t* actions, const CgiChildSetup& setup) {
    // The duplicates on 0 and 1 lose close-on-exec, as with dup2(). Stderr
    // stays: it is the server's own, its log.
    if (int e = ::posix_spawn_file_actions_adddup2(actions, setup.stdin_fd, STDIN_FILENO)) return e;
    if (int e = ::posix_spawn_file_actions_adddup2(actions, setup.stdout_fd, STDOUT_FILENO)) return e;
    // Everything the server opens is close-on-exec; this also drops what
    // the server itself inherited without it (glibc 2.34).
    if (int e = ::posix_spawn_file_actions_addclosefrom_np(actions, 3)) return e;
    // glibc 2.29; POSIX.1-2024 names it posix_spawn_file_actions_addchdir.
    return ::posix_spawn_file_actions_addchdir_np(actions, setup.directory);
}

// The signal state a program expects, and its own process group.
int set_attributes(posix_spawnattr_t* attr) {
    // Ignored signals (SIGPIPE, here) and the blocked mask survive exec.
    // SETSIGDEF with every signal also covers the caught ones (SIGTERM's
    // handler in the server): glibc resets those in the child anyway,
    // because a handler running in the shared memory before exec would
    // act on the parent's data. glibc's sigfillset leaves out the two
    // signals it keeps for itself.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (int e = ::posix_spawnattr_setsigdefault(attr, &all)) return e;
    if (int e = ::posix_spawnattr_setsigmask(attr, &none)) return e;
    // Group 0: a new group led by the child, so --cgi-timeout and a
    // client that leaves kill all of it with kill(-pid).
    if (int e = ::posix_spawnattr_setpgroup(attr, 0)) return e;
    return ::posix_spawnattr_setflags(
        attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
}

}  // namespace

pid_t spawn_cgi_program(const CgiChildSetup& setup, CgiStartError& error) {
    FileActions actions;
    Attributes attr;
    if (int e = add_file_actions(actions.get(), setup)) {
        error.detail = errno_message("posix_spawn_file_actions", e);
        return -1;
    }
    if (int e = set_attributes(attr.get())) {
        error.detail = errno_message("posix_spawnattr", e);
        return -1;
    }
    pid_t pid = -1;
    int e = ::posix_spawn(&pid, setup.program, actions.get(), attr.get(), setup.argv, setup.envp);
    if (e == 0) return pid;
    // The child could not be made (no memory, too many processes): 500, as
    // when fork() fails. Any other error is the child's, from chdir or
    // execve (ENOENT, EACCES, ENOEXEC), and glibc has already reaped it:
    // the program cannot run, a 502, as for a forked child that exits 127.
    error.detail = errno_message("posix_spawn " + std::string(setup.program), e);
    if (e != EAGAIN && e != ENOMEM) {
        error.status = 502;
        error.reason = errno_message("the program cannot be executed", e);
    }
    return -1;
}
