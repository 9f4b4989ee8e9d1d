// Target -> open file with the two defences: a lexical check of the decoded
// segments, then openat2(RESOLVE_BENEATH) containment. step01 and step02
// use realpath() for the second one.
#include "path_resolver.hpp"

#include <fcntl.h>
#include <linux/openat2.h>  // struct open_how, RESOLVE_* (Linux 5.6)
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

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

// Opens `path`, relative to the directory `root`, for reading. With
// RESOLVE_BENEATH the kernel fails the lookup with EXDEV as soon as a step
// would leave `root`: "..", an absolute path, or a symlink that points
// outside (a relative symlink that stays inside is followed).
// RESOLVE_NO_MAGICLINKS refuses /proc/self/fd/N-style links. O_NONBLOCK: a
// FIFO opens at once instead of waiting for a writer (fstat then rejects
// it); it changes nothing for a regular file. glibc 2.36 has no wrapper.
UniqueFd open_beneath(int root, const std::string& path) {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return UniqueFd(static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how)));
}

// Why openat2() failed, as an HTTP status.
Resolution cannot_open(int err) {
    switch (err) {
        case EXDEV: return error(403, "path leaves the document root");
        case EACCES:
        case EPERM: return error(403, "permission denied");
        case ENAMETOOLONG: return error(414, "path too long");
        case EMFILE:
        case ENFILE:
        case ENOMEM: return error(503, "server is out of file descriptors");
        case ENXIO:
        case ENODEV: return error(403, "not a regular file");  // a socket or a device
        default: return error(404, "no such file");              // ENOENT, ENOTDIR, ELOOP
    }
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

UniqueFd open_document_root(const std::string& root) {
    return UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

Resolution resolve_target(int root, std::string_view target) {
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

    // Lexical check: no ".." segment, decoded or not, ever reaches the file
    // system. RESOLVE_BENEATH would stop one that leaves the root; this also
    // refuses one that does not ("/sub/../x"), as step01 does.
    std::string_view rest = *decoded;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        if (rest.substr(0, slash) == "..") return error(403, "path leaves the document root");
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }

    // Containment check, by the kernel, during the lookup itself.
    auto first = decoded->find_first_not_of('/');
    std::string relative = first == std::string::npos ? std::string() : decoded->substr(first);
    UniqueFd file = open_beneath(root, relative.empty() ? "." : relative);
    if (!file) return cannot_open(errno);
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return cannot_open(errno);

    std::string path = std::move(*decoded);
    if (S_ISDIR(st.st_mode)) {
        if (path.back() != '/') {
            Resolution r;
            r.kind = Resolution::Kind::kRedirect;
            r.status = 301;
            // One leading slash: "//docs/" would name the host "docs" to a
            // browser (a protocol-relative URL), an open redirect.
            auto tail = raw_path.substr(raw_path.find_first_not_of('/'));
            r.location = "/" + std::string(tail) + "/" + std::string(query);
            return r;
        }
        // From the root again, so that an index.html symlinked outside is
        // refused like any other way out.
        file = open_beneath(root, relative + "index.html");
        if (!file) {
            if (errno == ENOENT) return error(403, "directory has no index.html");
            return cannot_open(errno);
        }
        if (::fstat(file.get(), &st) != 0) return cannot_open(errno);
        path += "index.html";
    }
    if (!S_ISREG(st.st_mode)) return error(403, "not a regular file");

    Resolution r;
    r.kind = Resolution::Kind::kFile;
    r.status = 200;
    r.file = std::move(file);
    r.size = static_cast<std::size_t>(st.st_size);
    r.path = std::move(path);
    return r;
}
