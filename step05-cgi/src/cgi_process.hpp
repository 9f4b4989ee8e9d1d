// CgiProcess: one running CGI program and its pipes; ChildReaper: the
// worker's list of children to collect. Introduced in step05.
//
//   server (worker thread)                      child (after fork)
//   ----------------------                      ------------------
//   pipe2(in, CLOEXEC)  pipe2(out, CLOEXEC)
//   fork() ------------------------------------> setpgid(0, 0)
//                                                dup2(in[0], 0)   stdin
//                                                dup2(out[1], 1)  stdout
//                                                (2 stays: the server's log)
//                                                default signals, empty mask
//                                                chdir(script dir)
//                                                execve(script, argv, envp)
//                                                _exit(127) if exec failed
//   close in[0], out[1]
//   in[1]  -> poll POLLOUT: write the body, then close (the child sees EOF)
//   out[0] -> poll POLLIN:  read headers, then the body
//   pidfd  -> poll POLLIN:  the child exited: waitpid(WNOHANG) reaps it
//
// Every descriptor the server holds is close-on-exec, so the child gets
// exactly 0, 1 and 2: not the listening socket, not a client, not a Waker.
// Between fork and exec the child calls only async-signal-safe functions.
// With --cgi-launch spawn, posix_spawn makes the same child in one call
// (cgi_spawn.cpp); the parent's side is the same.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "cgi_environment.hpp"
#include "cgi_spawn.hpp"
#include "unique_fd.hpp"

class ChildReaper;

// What CgiHandler asks a connection to run.
struct CgiLaunch {
    std::string program;          // canonical path of the executable
    std::string directory;        // its working directory
    CgiEnvironment environment;   // built before fork
};

class CgiProcess {
public:
    // Starts `program` with `argv0`, in `directory`, with the environment
    // `envp` (null-terminated "NAME=value" strings), by fork and exec or by
    // posix_spawn, as `how` says. Everything it needs is built before fork.
    // Returns nullptr and sets `error` when it cannot. Worker thread.
    static std::unique_ptr<CgiProcess> spawn(const std::string& program,
                                             const std::string& directory,
                                             char* const* envp, CgiLaunchMethod how,
                                             ChildReaper& reaper, CgiStartError& error);

    // A process still running when its connection ends is killed with its
    // process group (unless let_finish() was called), and the reaper
    // collects it: never a zombie.
    ~CgiProcess();
    CgiProcess(const CgiProcess&) = delete;
    CgiProcess& operator=(const CgiProcess&) = delete;

    pid_t pid() const { return pid_; }
    int stdin_fd() const { return stdin_.get(); }    // -1 once closed
    int stdout_fd() const { return stdout_.get(); }  // -1 once closed
    int pid_fd() const { return pid_fd_.get(); }     // -1 once reaped

    void close_stdin() { stdin_.reset(); }
    void close_stdout() { stdout_.reset(); }

    // Reaps the child if it has exited (waitpid with WNOHANG). True once reaped.
    bool try_reap();
    bool reaped() const { return reaped_; }
    int exit_status() const { return status_; }  // as from waitpid

    // SIGKILL to the whole process group: the script and anything it started.
    void kill_group();

    // The response is complete (the program closed its stdout): a program
    // that still runs is left to finish, and reaped when it exits.
    void let_finish() { kill_on_destroy_ = false; }

private:
    CgiProcess(pid_t pid, UniqueFd pid_fd, UniqueFd stdin_fd, UniqueFd stdout_fd,
               ChildReaper& reaper);

    pid_t pid_;
    UniqueFd pid_fd_;
    UniqueFd stdin_;   // our write end of the child's stdin
    UniqueFd stdout_;  // our read end of the child's stdout
    ChildReaper& reaper_;
    bool reaped_ = false;
    bool kill_on_destroy_ = true;
    int status_ = 0;
};

// Children whose connection is gone (killed, or finishing on their own),
// waiting to be reaped. Their
// pidfds are in the worker's poll set, so a worker that sleeps with no
// timeout still wakes to reap them. Worker thread only.
class ChildReaper {
public:
    ~ChildReaper();  // at worker exit: what is left is killed and reaped

    void adopt(pid_t pid, UniqueFd pid_fd);
    std::size_t size() const { return children_.size(); }
    int fd(std::size_t i) const { return children_[i].pid_fd.get(); }
    // Reaps whatever has exited; call after poll().
    void reap_exited();

private:
    struct Child {
        pid_t pid;
        UniqueFd pid_fd;
    };
    std::vector<Child> children_;
};
