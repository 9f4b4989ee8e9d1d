// Command-line parsing. Accepts `--name value` and `--name=value`.
// Introduced in step01; each later step adds the options of its concept.
#include "options.hpp"

#include <charconv>
#include <string_view>

namespace {

ParseOutcome fail(std::string message) {
    return ParseOutcome{std::nullopt, 2, "httpd: " + std::move(message)};
}

// A whole number in [low, high]; false on anything else ("8o", "-1", "").
template <typename T>
bool parse_number(std::string_view text, T low, T high, T& out) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
        return false;
    out = value;
    return true;
}

}  // namespace

std::string usage_text() {
    return "usage: httpd [--host ADDR] [--port N] [--root DIR] [--timeout S] [--threads N]\n"
           "             [--max-connections N] [--pool-size BYTES] [--cgi-dir DIR]\n"
           "             [--cgi-timeout S] [--cgi-launch fork|spawn] [--trace] [--help]\n"
           "  --host ADDR   IPv4 address to listen on (default 127.0.0.1)\n"
           "  --port N      TCP port; 0 picks a free one (default 8080)\n"
           "  --root DIR    directory to serve (default www)\n"
           "  --timeout S   close a connection idle for S seconds (default 15)\n"
           "  --max-connections N  answer 503 to clients beyond N open connections (default 16384)\n"
           "  --threads N   worker threads, each polling the listening socket (default 4)\n"
           "  --pool-size B memory pool per connection, 4096 to 1048576 (default 32768)\n"
           "  --cgi-dir DIR directory under the root whose programs run at /cgi-bin/ (default cgi-bin)\n"
           "  --cgi-timeout S  kill a CGI program still running after S seconds (default 30)\n"
           "  --cgi-launch fork|spawn  start CGI programs by fork and exec (default) or posix_spawn\n"
           "  --trace       print one line per event on stderr\n"
           "  --help        show this help\n";
}

ParseOutcome parse_options(const std::vector<std::string>& args) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        // The value of an option that takes one: "--port=0" or "--port 0".
        auto value = [&]() -> std::optional<std::string_view> {
            if (inline_value) return inline_value;
            if (i + 1 < args.size()) return std::string_view(args[++i]);
            return std::nullopt;
        };

        if (name == "--help" || name == "-h") {
            return ParseOutcome{std::nullopt, 0, usage_text()};
        } else if (name == "--trace") {
            options.trace = true;
        } else if (name == "--host") {
            auto v = value();
            if (!v || v->empty()) return fail("--host needs an address");
            options.host = std::string(*v);
        } else if (name == "--port") {
            auto v = value();
            if (!v || !parse_number<std::uint16_t>(*v, 0, 65535, options.port))
                return fail("--port needs a number from 0 to 65535");
        } else if (name == "--root") {
            auto v = value();
            if (!v || v->empty()) return fail("--root needs a directory");
            options.root = std::string(*v);
        } else if (name == "--timeout") {
            auto v = value();
            if (!v || !parse_number(*v, 1, 86400, options.timeout_seconds))
                return fail("--timeout needs a number of seconds from 1 to 86400");
        } else if (name == "--max-connections") {
            auto v = value();
            if (!v || !parse_number(*v, 1, 1000000, options.max_connections))
                return fail("--max-connections needs a number from 1 to 1000000");
        } else if (name == "--threads") {
            auto v = value();
            if (!v || !parse_number(*v, 1, 256, options.threads))
                return fail("--threads needs a number from 1 to 256");
        } else if (name == "--pool-size") {
            auto v = value();
            if (!v || !parse_number<std::size_t>(*v, 4096, 1 << 20, options.pool_size))
                return fail("--pool-size needs a number of bytes from 4096 to 1048576");
        } else if (name == "--cgi-dir") {
            auto v = value();
            if (!v || v->empty()) return fail("--cgi-dir needs a directory under the root");
            options.cgi_dir = std::string(*v);
        } else if (name == "--cgi-timeout") {
            auto v = value();
            if (!v || !parse_number(*v, 1, 3600, options.cgi_timeout_seconds))
                return fail("--cgi-timeout needs a number of seconds from 1 to 3600");
        } else if (name == "--cgi-launch") {
            auto v = value();
            if (v == "fork")
                options.cgi_launch = CgiLaunchMethod::kFork;
            else if (v == "spawn")
                options.cgi_launch = CgiLaunchMethod::kPosixSpawn;
            else
                return fail("--cgi-launch needs fork or spawn");
        } else {
            return fail("unknown option '" + std::string(arg) + "' (see --help)");
        }
    }
    return ParseOutcome{options, 0, {}};
}
