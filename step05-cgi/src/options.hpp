// The command line every step shares (docs/contract.md), parsed into
// Options. Introduced in step01; each step adds the options its concept
// needs and refuses the ones that arrive later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cgi_spawn.hpp"

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string root = "www";
    bool trace = false;
    int timeout_seconds = 15;  // close a connection idle this long (step02)
    int max_connections = 16384;  // beyond it a new client gets 503 (step02)
    int threads = 4;               // worker threads in the pool (step03)
    std::size_t pool_size = 32768;  // memory pool per connection, in bytes (step03)
    std::string cgi_dir = "cgi-bin";  // CGI programs, under the root, at /cgi-bin/ (step05)
    int cgi_timeout_seconds = 30;     // a CGI program running longer is killed (step05)
    CgiLaunchMethod cgi_launch = CgiLaunchMethod::kFork;  // --cgi-launch fork|spawn (step05)
};

// What parse_options() decided: run with `options`, or exit with
// `exit_code` after printing `message` (usage on stdout for --help, an error
// on stderr otherwise).
struct ParseOutcome {
    std::optional<Options> options;
    int exit_code = 0;
    std::string message;
};

ParseOutcome parse_options(const std::vector<std::string>& args);

std::string usage_text();
