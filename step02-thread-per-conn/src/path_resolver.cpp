// Target -> file resolution with the two defences: a lexical check of the
// decoded segments, then realpath() containment. Introduced in step01.
#include "path_resolver.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Resolution error(int status, std::string reason) {
    Resolution r;
    r.status = status;
    r.reason = std::move(reason);
    return r;
}

// realpath(3) with a std::string result; nullopt (errno set) on failure.
std::optional<std::string> real_path(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr),
                                                         &std::free);
    if (!resolved) return std::nullopt;
    return std::string(resolved.get());
}

bool inside_root(const std::string& root, const std::string& path) {
    if (root == "/") return true;
    return path == root || (path.starts_with(root) && path[root.size()] == '/');
}

// Why realpath() or stat() failed, as an HTTP status.
Resolution missing(int err) {
    if (err == EACCES) return error(403, "permission denied");
    if (err == ENAMETOOLONG) return error(414, "path too long");
    return error(404, "no such file");
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;  // "%" or "%4" at the end
        int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

Resolution resolve_target(const std::string& root, std::string_view target) {
    // absolute-form "http://host/path" is accepted as RFC 9112 §3.2.2 asks.
    if (target.size() >= 7 && (target.substr(0, 7) == "http://" || target.substr(0, 7) == "HTTP://")) {
        auto slash = target.find('/', 7);
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    auto question = target.find('?');
    std::string_view raw_path = target.substr(0, question);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question);
    if (raw_path.empty() || raw_path.front() != '/')
        return error(400, "request target must start with '/'");

    auto decoded = percent_decode(raw_path);
    if (!decoded) return error(400, "malformed percent-encoding in the path");
    if (decoded->find('\0') != std::string::npos) return error(400, "NUL byte in the path");

    // Lexical check: no ".." segment, decoded or not, ever reaches the file system.
    std::string_view rest = *decoded;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        if (rest.substr(0, slash) == "..") return error(403, "path leaves the document root");
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }

    // Containment check: symlinks are resolved, and the result must stay inside.
    auto real = real_path(root + *decoded);
    if (!real) return missing(errno);
    if (!inside_root(root, *real)) return error(403, "path leaves the document root");

    struct stat st {};
    if (::stat(real->c_str(), &st) != 0) return missing(errno);
    if (S_ISDIR(st.st_mode)) {
        if (decoded->back() != '/') {
            Resolution r;
            r.kind = Resolution::Kind::kRedirect;
            r.status = 301;
            // One leading slash: "//docs/" would name the host "docs" to a
            // browser (a protocol-relative URL), an open redirect.
            auto path = raw_path.substr(raw_path.find_first_not_of('/'));
            r.location = "/" + std::string(path) + "/" + std::string(query);
            return r;
        }
        auto index = real_path(*real + "/index.html");
        if (!index) {
            if (errno == ENOENT) return error(403, "directory has no index.html");
            return missing(errno);
        }
        if (!inside_root(root, *index)) return error(403, "path leaves the document root");
        if (::stat(index->c_str(), &st) != 0) return missing(errno);
        real = std::move(index);
    }
    if (!S_ISREG(st.st_mode)) return error(403, "not a regular file");

    Resolution r;
    r.kind = Resolution::Kind::kFile;
    r.status = 200;
    r.path = std::move(*real);
    return r;
}
