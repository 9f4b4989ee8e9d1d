// Mapping /cgi-bin/ requests to programs, and building their environment.
// Introduced in step05.
#include "cgi_handler.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "cgi_environment.hpp"
#include "path_resolver.hpp"

namespace {

constexpr std::string_view kPrefix = "/cgi-bin/";

std::optional<std::string> real_path(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) return std::nullopt;
    return std::string(real.get());
}

// "127.0.0.1:5555" -> address and port.
void split_peer(const std::string& peer, std::string& address, int& port) {
    auto colon = peer.rfind(':');
    address = peer.substr(0, colon);
    port = colon == std::string::npos ? 0 : std::atoi(peer.c_str() + colon + 1);
}

}  // namespace

CgiHandler::CgiHandler(std::string root, const std::string& cgi_dir) : root_(std::move(root)) {
    auto real = real_path(root_ + "/" + cgi_dir);
    struct stat st {};
    if (real && ::stat(real->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) cgi_dir_ = *real;
}

std::optional<Response> CgiHandler::handle(const Request& request,
                                           RequestContext& context) const {
    std::string_view target = request.target;
    auto question = target.find('?');
    std::string_view raw_path = target.substr(0, question);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    if (raw_path == "/cgi-bin") return std::nullopt;  // the static handler redirects
    if (!raw_path.starts_with(kPrefix)) return std::nullopt;

    // POST is what CGI is for (RFC 3875 §4.3); other methods are not.
    if (request.method != "GET" && request.method != "HEAD" && request.method != "POST")
        return error_response(501, "method " + request.method + " is not implemented here");

    auto decoded = percent_decode(raw_path);
    if (!decoded) return error_response(400, "malformed percent-encoding in the path");
    if (decoded->find('\0') != std::string::npos) return error_response(400, "NUL byte in the path");
    std::string_view rest = std::string_view(*decoded).substr(kPrefix.size());
    for (std::string_view segments = rest; !segments.empty();) {
        auto slash = segments.find('/');
        if (segments.substr(0, slash) == "..") return error_response(403, "path leaves the root");
        if (slash == std::string_view::npos) break;
        segments.remove_prefix(slash + 1);
    }
    auto slash = rest.find('/');
    std::string name(rest.substr(0, slash));
    std::string path_info(slash == std::string_view::npos ? "" : rest.substr(slash));
    if (name.empty()) return error_response(403, "no listing of the CGI directory");
    if (cgi_dir_.empty()) return error_response(404, "no CGI directory");

    // The program: a regular, executable file that really is inside the
    // CGI directory (a symlink pointing elsewhere does not count).
    auto program = real_path(cgi_dir_ + "/" + name);
    if (!program) return error_response(errno == EACCES ? 403 : 404, "no such program");
    if (!program->starts_with(cgi_dir_ + "/"))
        return error_response(403, "program outside the CGI directory");
    struct stat st {};
    if (::stat(program->c_str(), &st) != 0) return error_response(404, "no such program");
    if (!S_ISREG(st.st_mode)) return error_response(403, "not a regular file");
    if ((st.st_mode & 0111) == 0) return error_response(403, "program is not executable");

    std::string remote_addr;
    int remote_port = 0;
    split_peer(context.peer(), remote_addr, remote_port);
    std::string server_name;
    if (const std::string* host = request.header("host")) {
        std::string_view host_name = *host;  // "name:port", "[v6]:port", "name"
        if (host_name.starts_with('['))
            host_name = host_name.substr(0, host_name.find(']') + 1);
        else
            host_name = host_name.substr(0, host_name.rfind(':'));
        server_name = std::string(host_name);
    }
    if (server_name.empty()) server_name = context.server_address();

    CgiRequestInfo info{
        .request = request,
        .script_name = std::string(kPrefix) + name,
        .path_info = path_info,
        .path_translated = path_info.empty() ? std::string() : root_ + path_info,
        .query_string = std::string(query),
        .script_path = *program,
        .document_root = root_,
        .server_name = server_name,
        .server_port = context.server_port(),
        .remote_addr = remote_addr,
        .remote_port = remote_port,
    };

    CgiLaunch launch;
    launch.program = *program;
    launch.directory = cgi_dir_;
    if (!launch.environment.build(info))
        return error_response(launch.environment.error_status(),
                              launch.environment.error_reason());
    context.run_cgi(std::move(launch));
    return Response{};  // ignored: the connection runs the program
}
