// How a CGI child is created: fork (the chapter's lesson, cgi_process.cpp)
// or posix_spawn (cgi_spawn.cpp), chosen with --cgi-launch. Both make the
// same child, and CgiProcess::spawn follows it the same way afterwards.
// Introduced in step05.
#pragma once

#include <sys/types.h>

#include <string>

// --cgi-launch fork|spawn.
enum class CgiLaunchMethod { kFork, kPosixSpawn };

// What the child gets, whichever way it is made. Everything here is built
// before the child exists: a forked child must not allocate.
struct CgiChildSetup {
    int stdin_fd;           // read end of the body pipe: becomes 0
    int stdout_fd;          // write end of the output pipe: becomes 1
    const char* program;    // what execve runs
    const char* directory;  // its working directory
    char* const* argv;      // {program, nullptr}
    char* const* envp;      // CgiEnvironment's "NAME=value" strings
};

// Why no child was started.
struct CgiStartError {
    int status = 500;    // 500: out of pipes or processes; 502: exec failed
    std::string reason = "cannot start the program";  // for the response
    std::string detail;  // for the log: the call and errno's text
};

// posix_spawn(3): the child of `setup`, in one call. Returns its pid, or -1
// with `error` set; an exec failure is a 502, as a forked child that exits
// 127 ends up being. Worker thread.
pid_t spawn_cgi_program(const CgiChildSetup& setup, CgiStartError& error);
