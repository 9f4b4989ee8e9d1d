// libFuzzer target: percent_decode() and resolve_target()
// (step05-cgi/src/path_resolver.cpp: openat2 since step03; step01-02 use realpath). Not part of
// any step; built by fuzz/run.
//
// The input is a request target, as raw bytes. It is resolved against a
// small document root made once under /tmp:
//
//   /tmp/stephttpd-fuzz-docroot/
//     root/                     the document root
//       index.html page.html "a b.txt" %41.txt
//       sub/index.html sub/a.txt
//       empty/                  a directory without index.html
//       fifo                    not a regular file
//       link-in   -> sub        a symlink that stays inside
//       link-out  -> ../outside a symlink that leaves
//       link-file -> ../outside/secret.txt
//       link-evil -> ../root-evil/secret.txt   ("root-evil" starts with "root")
//       link-abs  -> /etc
//       dir-out/index.html -> ../../outside/secret.txt
//     outside/secret.txt outside/index.html
//     root-evil/secret.txt
//
// Invariants, whatever the target:
//   - kFile: the open descriptor is a regular file whose real path (read
//     back from /proc/self/fd) is inside the root and is not a secret, and
//     the reported path never contains a ".." segment;
//   - kRedirect: 301 and a Location that starts with '/';
//   - kError: 400, 403, 404 or 414 with a reason;
//   - percent_decode() never grows the text, is the identity without '%',
//     and decoding a full re-encoding gives the same bytes back.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "path_resolver.hpp"

namespace {

const std::string kBase = "/tmp/stephttpd-fuzz-docroot";

void must(bool ok, const std::string& what) {
    if (ok)
        return;
    std::fprintf(stderr, "path_resolver_fuzz: cannot set up %s: %s\n", what.c_str(),
                 std::strerror(errno));
    std::exit(1);
}

void make_dir(const std::string& path) {
    must(::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST, path);
}

void make_file(const std::string& path, std::string_view text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    must(fd >= 0, path);
    must(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()), path);
    ::close(fd);
}

void make_link(const std::string& target, const std::string& path) {
    must(::symlink(target.c_str(), path.c_str()) == 0 || errno == EEXIST, path);
}

// Idempotent, so that several fuzzing processes may race to create it.
std::string make_docroot() {
    make_dir(kBase);
    const std::string root = kBase + "/root", outside = kBase + "/outside",
                      evil = kBase + "/root-evil";
    make_dir(root);
    make_dir(outside);
    make_dir(evil);
    make_file(outside + "/secret.txt", "secret\n");
    make_file(outside + "/index.html", "secret index\n");
    make_file(evil + "/secret.txt", "secret\n");
    make_file(root + "/index.html", "index\n");
    make_file(root + "/page.html", "page\n");
    make_file(root + "/a b.txt", "space\n");
    make_file(root + "/%41.txt", "percent\n");
    make_dir(root + "/sub");
    make_file(root + "/sub/index.html", "sub index\n");
    make_file(root + "/sub/a.txt", "a\n");
    make_dir(root + "/empty");
    must(::mkfifo((root + "/fifo").c_str(), 0644) == 0 || errno == EEXIST, "fifo");
    make_link("sub", root + "/link-in");
    make_link("../outside", root + "/link-out");
    make_link("../outside/secret.txt", root + "/link-file");
    make_link("../root-evil/secret.txt", root + "/link-evil");
    make_link("/etc", root + "/link-abs");
    make_dir(root + "/dir-out");
    make_link("../../outside/secret.txt", root + "/dir-out/index.html");

    char* real = ::realpath(root.c_str(), nullptr);
    must(real != nullptr, "realpath " + root);
    std::string out(real);
    std::free(real);
    return out;
}

const std::string& docroot() {
    static const std::string root = make_docroot();
    return root;
}

int docroot_fd() {
    static const UniqueFd fd = open_document_root(docroot());
    must(fd.valid(), "open " + docroot());
    return fd.get();
}

// The file a descriptor is open on, as the kernel names it.
std::string fd_path(int fd) {
    char buffer[PATH_MAX];
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buffer, sizeof buffer);
    return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
}

void check_decode(std::string_view text) {
    auto decoded = percent_decode(text);
    if (text.find('%') == std::string_view::npos) {
        FUZZ_CHECK(decoded && *decoded == text, "decoding text without '%' changed it");
        return;
    }
    if (!decoded)
        return;
    FUZZ_CHECK(decoded->size() <= text.size(), "decoding made the text longer");
    std::string encoded;
    static const char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : *decoded) {
        encoded += '%';
        encoded += kHex[c >> 4];
        encoded += kHex[c & 15];
    }
    auto again = percent_decode(encoded);
    FUZZ_CHECK(again && *again == *decoded, "decode(encode(x)) != x");
}

void check_resolution(const std::string& root, std::string_view target, const Resolution& r) {
    const std::string where = " for target '" + fuzz::escaped(target) + "'";
    switch (r.kind) {
        case Resolution::Kind::kFile: {
            FUZZ_CHECK(r.status == 200, "kFile with status " + std::to_string(r.status) + where);
            FUZZ_CHECK(r.file.valid(), "kFile without a descriptor" + where);
            const std::string real = fd_path(r.file.get());
            FUZZ_CHECK(real.starts_with(root + "/"), "file outside the root: " + real + where);
            FUZZ_CHECK(real.find("secret") == std::string::npos, "served a secret: " + real + where);
            FUZZ_CHECK(r.path.find("/../") == std::string::npos && !r.path.ends_with("/.."),
                       "file path with '..': " + fuzz::escaped(r.path) + where);
            struct stat st {};
            FUZZ_CHECK(::fstat(r.file.get(), &st) == 0 && S_ISREG(st.st_mode),
                       "not a regular file: " + real + where);
            FUZZ_CHECK(r.size == static_cast<std::size_t>(st.st_size), "wrong size" + where);
            break;
        }
        case Resolution::Kind::kRedirect:
            FUZZ_CHECK(r.status == 301, "redirect with status " + std::to_string(r.status) + where);
            FUZZ_CHECK(!r.location.empty() && r.location.front() == '/',
                       "Location does not start with '/': " + fuzz::escaped(r.location) + where);
            FUZZ_CHECK(!r.location.starts_with("//"),
                       "Location is protocol-relative: " + fuzz::escaped(r.location) + where);
            if (!fuzz::has_cr_or_lf(target))
                FUZZ_CHECK(!fuzz::has_cr_or_lf(r.location), "CR/LF in Location" + where);
            break;
        case Resolution::Kind::kError:
            FUZZ_CHECK(r.status == 400 || r.status == 403 || r.status == 404 || r.status == 414 ||
                           r.status == 503,
                       "error status " + std::to_string(r.status) + where);
            FUZZ_CHECK(!r.reason.empty(), "error without a reason" + where);
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    docroot_fd();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    if (size > 8192)
        return 0;  // the request line limit: longer targets never get here
    const std::string_view target(reinterpret_cast<const char*>(bytes), size);
    check_decode(target);
    const std::string& root = docroot();
    check_resolution(root, target, resolve_target(docroot_fd(), target));
    return 0;
}
