// Mapping a request target to a file inside the document root, so that no
// request ever reads outside it. Introduced in step01. Tinyhttpd appends the
// URL to "htdocs" with no check at all; this is the check.
//
//   "/docs/a%20b.txt?x=1"
//     split at '?'          -> "/docs/a%20b.txt"
//     percent-decode once   -> "/docs/a b.txt"    (bad %XY, NUL: 400)
//     check every segment   -> no ".." segment    (else 403)
//     root + path, realpath -> must stay inside the root (symlinks: 403)
//     directory?            -> no '/': 301, else index.html
#pragma once

#include <optional>
#include <string>
#include <string_view>

// Decodes %XY escapes once (RFC 3986 §2.1). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

struct Resolution {
    enum class Kind { kFile, kRedirect, kError };
    Kind kind = Kind::kError;
    int status = 0;        // for kError: 400, 403 or 404
    std::string reason;    // for kError: a short explanation for the client
    std::string path;      // for kFile: the real path of a regular file
    std::string location;  // for kRedirect: where to go (the target plus '/')
};

// `root` must be the real (canonical, absolute) path of the document root.
// Any thread may call it; it only reads the file system.
Resolution resolve_target(const std::string& root, std::string_view target);
