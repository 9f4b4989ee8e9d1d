// libFuzzer target: CgiEnvironment (step05-cgi/src/cgi_environment.cpp).
// Not part of any step; built by fuzz/run.
//
// The input is byte 0 (bit 0: small limits), then a request split loosely,
// with none of the parser's checks, so that any byte can reach build():
//
//   METHOD SP TARGET SP VERSION LF      (CR before LF dropped; "HTTP/1.0" or 1.1)
//   name: value LF ...                  (name lower-cased, as the parser does)
//   LF
//   body
//
// The CgiRequestInfo is made from it as CgiHandler::handle() makes it.
// Invariants when build() succeeds: every variable is NAME=value with NAME
// in [A-Z0-9_]+, each NAME once; no HTTP_PROXY and no other excluded field;
// no NUL anywhere; envp() is null-terminated and holds exactly variables();
// size() and bytes() are right and within the limits; a move (construction
// or assignment) keeps envp() pointing into the new owner. When it fails: an error, 431 or 500, and
// an empty envp().
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgi_environment.hpp"
#include "fuzz_support.hpp"
#include "path_resolver.hpp"

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Takes the next line off `data` (LF-terminated; a CR before the LF dropped).
std::string_view next_line(std::string_view& data) {
    auto lf = data.find('\n');
    std::string_view line = data.substr(0, lf);
    data.remove_prefix(lf == std::string_view::npos ? data.size() : lf + 1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

Request make_request(std::string_view data) {
    Request r;
    std::string_view line = next_line(data);
    auto sp1 = line.find(' ');
    r.method = std::string(line.substr(0, sp1));
    if (sp1 != std::string_view::npos) {
        line.remove_prefix(sp1 + 1);
        auto sp2 = line.find(' ');
        r.target = std::string(line.substr(0, sp2));
        if (sp2 != std::string_view::npos)
            r.version_minor = line.substr(sp2 + 1) == "HTTP/1.0" ? 0 : 1;
    }
    while (!data.empty()) {
        line = next_line(data);
        if (line.empty())
            break;
        auto colon = line.find(':');
        std::string name(line.substr(0, colon));
        for (char& c : name)  // the parser hands over lower-case names
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        std::string_view value =
            colon == std::string_view::npos ? "" : trim(line.substr(colon + 1));
        r.headers.push_back(HeaderField{std::move(name), std::string(value)});
    }
    r.body = std::string(data);
    return r;
}

bool is_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void check_built(const CgiEnvironment& env, const Request& request,
                 const CgiEnvironmentLimits& limits) {
    const auto& vars = env.variables();
    FUZZ_CHECK(env.error() == CgiEnvironment::Error::kNone, "success with an error set");
    FUZZ_CHECK(env.size() == vars.size(), "size() differs from variables()");
    FUZZ_CHECK(env.size() <= limits.max_variables, "more variables than the limit");
    FUZZ_CHECK(env.bytes() <= limits.max_bytes, "more bytes than the limit");
    std::size_t bytes = 0;
    std::set<std::string> names;
    for (std::size_t i = 0; i < vars.size(); ++i) {
        const std::string& v = vars[i];
        bytes += v.size() + 1;
        FUZZ_CHECK(v.find('\0') == std::string::npos, "NUL inside " + fuzz::escaped(v));
        auto eq = v.find('=');
        FUZZ_CHECK(eq != std::string::npos && eq > 0, "not NAME=value: " + fuzz::escaped(v));
        const std::string name = v.substr(0, eq);
        for (char c : name)
            FUZZ_CHECK(is_name_char(c), "bad variable name: " + fuzz::escaped(name));
        FUZZ_CHECK(names.insert(name).second, "variable set twice: " + name);
        FUZZ_CHECK(env.envp()[i] == v.c_str(), "envp() does not point at variables()");
        FUZZ_CHECK(std::strcmp(env.envp()[i], v.c_str()) == 0, "envp() string differs");
    }
    FUZZ_CHECK(env.envp()[vars.size()] == nullptr, "envp() not null-terminated");
    FUZZ_CHECK(bytes == env.bytes(), "bytes() is not the sum of the strings with their NULs");
    for (const char* banned :
         {"HTTP_PROXY", "HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_CONTENT_LENGTH",
          "HTTP_CONTENT_TYPE", "HTTP_TRANSFER_ENCODING"})
        FUZZ_CHECK(!names.count(banned), std::string(banned) + " reached the program");
    FUZZ_CHECK(env.value("GATEWAY_INTERFACE") == "CGI/1.1", "GATEWAY_INTERFACE");
    FUZZ_CHECK(env.value("REQUEST_METHOD") == request.method, "REQUEST_METHOD");
    if (env.has("CONTENT_LENGTH"))
        FUZZ_CHECK(env.value("CONTENT_LENGTH") == std::to_string(request.body.size()),
                   "CONTENT_LENGTH");
    // The server's own environment never leaks in.
    FUZZ_CHECK(env.value("PATH") == "/usr/local/bin:/usr/bin:/bin", "PATH");
}

void check_failed(const CgiEnvironment& env) {
    FUZZ_CHECK(env.error() != CgiEnvironment::Error::kNone, "failure without an error");
    FUZZ_CHECK(env.error_status() == 431 || env.error_status() == 500,
               "error status " + std::to_string(env.error_status()));
    FUZZ_CHECK(!env.error_reason().empty(), "error without a reason");
    FUZZ_CHECK(env.size() == 0 && env.bytes() == 0 && env.envp()[0] == nullptr,
               "a failed build left variables behind");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    if (size == 0)
        return 0;
    CgiEnvironmentLimits limits;
    if (bytes[0] & 1) {
        limits.max_variables = 24;
        limits.max_bytes = 1024;
    }
    const Request request =
        make_request(std::string_view(reinterpret_cast<const char*>(bytes) + 1, size - 1));

    // As CgiHandler::handle() does it.
    std::string_view target = request.target;
    auto question = target.find('?');
    std::string_view raw_path = target.substr(0, question);
    std::string query(question == std::string_view::npos ? "" : target.substr(question + 1));
    std::string path = percent_decode(raw_path).value_or(std::string(raw_path));
    std::string_view rest = path;
    if (rest.starts_with("/cgi-bin/"))
        rest.remove_prefix(9);
    auto slash = rest.find('/');
    std::string name(rest.substr(0, slash));
    std::string path_info(slash == std::string_view::npos ? "" : rest.substr(slash));
    std::string server_name;
    if (const std::string* host = request.header("host")) {
        std::string_view h = *host;
        if (!h.starts_with('['))
            h = h.substr(0, h.rfind(':'));
        server_name = std::string(h);
    }
    if (server_name.empty())
        server_name = "127.0.0.1";
    const std::string root = "/srv/www";
    CgiRequestInfo info{
        .request = request,
        .script_name = "/cgi-bin/" + name,
        .path_info = path_info,
        .path_translated = path_info.empty() ? std::string() : root + path_info,
        .query_string = query,
        .script_path = root + "/cgi-bin/" + name,
        .document_root = root,
        .server_name = server_name,
        .server_port = 8080,
        .remote_addr = "127.0.0.1",
        .remote_port = 40000 + static_cast<int>(size % 20000),
    };

    CgiEnvironment env(limits);
    const bool ok = env.build(info);
    if (ok)
        check_built(env, request, limits);
    else
        check_failed(env);

    // Building again replaces the first result with an identical one.
    const std::vector<std::string> first = env.variables();
    FUZZ_CHECK(env.build(info) == ok && env.variables() == first, "a rebuild differs");

    // A move rebuilds the pointer array inside the new owner.
    CgiEnvironment moved(std::move(env));
    FUZZ_CHECK(moved.variables() == first, "moved variables differ");
    for (std::size_t i = 0; i < first.size(); ++i)
        FUZZ_CHECK(moved.envp()[i] == moved.variables()[i].c_str(), "moved envp() dangles");
    FUZZ_CHECK(moved.envp()[first.size()] == nullptr, "moved envp() not null-terminated");
    FUZZ_CHECK(env.size() == 0 && env.envp()[0] == nullptr,
               "moved-from object not empty");  // NOLINT
    CgiEnvironment assigned;
    assigned = std::move(moved);
    FUZZ_CHECK(assigned.variables() == first, "move-assigned variables differ");
    for (std::size_t i = 0; i < first.size(); ++i)
        FUZZ_CHECK(assigned.envp()[i] == assigned.variables()[i].c_str(),
                   "move-assigned envp() dangles");
    FUZZ_CHECK(assigned.envp()[first.size()] == nullptr,
               "move-assigned envp() not null-terminated");
    return 0;
}
