// Mapping a request target to an open file inside the document root, so
// that no request ever reads outside it. step01 checked containment with
// realpath(); from step03 on, the kernel checks it while it opens the file.
//
//   "/docs/a%20b.txt?x=1"
//     split at '?'             -> "/docs/a%20b.txt"
//     percent-decode once      -> "/docs/a b.txt"      (bad %XY, NUL: 400)
//     check every segment      -> no ".." segment      (else 403)
//     openat2(root, "docs/a b.txt", RESOLVE_BENEATH)
//                              -> no step of the lookup may leave the root,
//                                 through a symlink either (else 403)
//     directory?               -> no '/': 301, else open its index.html
//     fstat                    -> only a regular file is served (else 403)
//
// Why not realpath() any more: it readlink()s every component of the path,
// then the file is stat()ed and opened: 5 more system calls per request
// than the open alone, and a window between the check and the open in
// which a symlink could be swapped in. openat2() checks and opens in one
// call, atomically. The chapter measures the difference.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "unique_fd.hpp"

// Decodes %XY escapes once (RFC 3986 §2.1). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

struct Resolution {
    enum class Kind { kFile, kRedirect, kError };
    Kind kind = Kind::kError;
    int status = 0;        // for kError: 400, 403, 404, 414 or 503
    std::string reason;    // for kError: a short explanation for the client
    UniqueFd file;         // for kFile: the regular file, open read-only
    std::size_t size = 0;  // for kFile: its size when it was opened
    std::string path;      // for kFile: the decoded path ("/sub/index.html"),
                           // whose extension names the Content-Type
    std::string location;  // for kRedirect: where to go (the target plus '/')
};

// Opens the document root for resolve_target(): O_PATH, so the descriptor
// only names the directory. An invalid UniqueFd (errno set) on failure.
UniqueFd open_document_root(const std::string& root);

// `root` is a descriptor from open_document_root(). Any thread may call it.
Resolution resolve_target(int root, std::string_view target);
