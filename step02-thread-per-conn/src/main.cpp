// httpd, step02: parse the command line, open the listening socket, print
// the one "listening on" line, then serve until SIGINT or SIGTERM.
// Introduced in step01, changed in step02 (graceful stop).
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "errors.hpp"
#include "options.hpp"
#include "server.hpp"
#include "stop_signals.hpp"
#include "trace.hpp"

int main(int argc, char** argv) {
    ParseOutcome parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.options) {
        std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
        if (parsed.exit_code != 0) std::fputc('\n', stderr);
        return parsed.exit_code;
    }
    const Options& options = *parsed.options;

    // A client that leaves while we write must not kill the server (SIGPIPE's
    // default action). send() also passes MSG_NOSIGNAL; this covers the rest.
    std::signal(SIGPIPE, SIG_IGN);
    // Before any thread starts, so that every thread inherits the mask.
    block_stop_signals();
    enable_trace(options.trace);

    try {
        Server server(options);
        std::printf("listening on %s\n", server.url().c_str());
        std::fflush(stdout);  // scripts and tests wait for this line
        server.run();
    } catch (const StartupError& error) {
        log_error(error.what());
        return 1;
    }
    return 0;  // stopped by a signal, every connection closed, every thread joined
}
