// httpd, step05: parse the command line, start the worker pool with the
// CGI handler, the demo API and the static-file handler, print the one
// "listening on" line,
// then sleep on a Waker that signals activate: SIGUSR1 quiesces, SIGINT or
// SIGTERM stops. Everything else happens on the workers.
// Introduced in step01, changed in step03, step04 and step05.
#include <poll.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "errors.hpp"
#include "options.hpp"
#include "server.hpp"
#include "cgi_handler.hpp"
#include "demo_api.hpp"
#include "static_files.hpp"
#include "stop_signals.hpp"
#include "trace.hpp"

namespace {

// One descriptor per connection: raise the soft limit (often 1024) to the
// hard limit, so thousands of idle connections fit, as nginx's
// worker_rlimit_nofile does.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

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
    // Before any thread starts, so that every thread inherits the mask and
    // only the main thread takes these signals.
    block_control_signals();
    enable_trace(options.trace);
    raise_descriptor_limit();

    try {
        const std::string root = canonical_root(options.root);
        StaticFiles files(root);
        CgiHandler cgi(root, options.cgi_dir);
        DemoApi api;  // outlives the server: parked requests may still point at it
        ServerOptions server_options;
        server_options.host = options.host;
        server_options.port = options.port;
        server_options.threads = options.threads;
        server_options.pool_size = options.pool_size;
        server_options.timeout_seconds = options.timeout_seconds;
        server_options.max_connections = options.max_connections;
        server_options.cgi_timeout_seconds = options.cgi_timeout_seconds;
        server_options.cgi_launch = options.cgi_launch;
        Server server(server_options, [&](const Request& request, RequestContext& context) {
            if (auto reply = cgi.handle(request, context)) return std::move(*reply);
            if (auto reply = api.handle(request, context)) return std::move(*reply);
            return files.handle(request);
        });

        Waker control;  // the main thread's own ITC, activated by signals
        route_control_signals_to(control);
        std::printf("listening on %s\n", server.url().c_str());
        std::fflush(stdout);  // scripts and tests wait for this line

        for (;;) {
            pollfd pfd{control.poll_fd(), POLLIN, 0};
            if (::poll(&pfd, 1, -1) <= 0) continue;  // EINTR: a signal; look again
            std::string reasons = control.clear();
            if (reasons.find('q') != std::string::npos) {
                UniqueFd listening = server.quiesce();
                if (listening) log_error("quiesced (SIGUSR1): no longer accepting connections");
                // Closing it makes the kernel refuse new clients at once.
            }
            if (reasons.find('e') != std::string::npos) break;
        }
        // From here on no handler may touch `control`, which dies with this block.
        block_control_signals();
        trace("stop", "stopping the workers");
        server.stop();
    } catch (const StartupError& error) {
        log_error(error.what());
        return 1;
    }
    return 0;  // every worker joined, every connection closed
}
