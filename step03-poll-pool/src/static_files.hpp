// StaticFiles: the request handler that serves files from the document root
// (GET and HEAD). Introduced in step01. In step03 it becomes one access
// handler among others, as in libmicrohttpd's MHD_AccessHandlerCallback,
// and holds the root open, for openat2() (path_resolver.hpp).
#pragma once

#include <string>

#include "http_request.hpp"
#include "http_response.hpp"
#include "unique_fd.hpp"

class StaticFiles {
public:
    // `root` must be the canonical path of an existing directory; throws
    // StartupError if it cannot be opened.
    explicit StaticFiles(std::string root);

    // Builds the response for a parsed request: the file (opened, not read),
    // a redirect, or an error. Any thread may call it concurrently.
    Response handle(const Request& request) const;

    const std::string& root() const { return root_; }

private:
    std::string root_;
    UniqueFd root_fd_;  // O_PATH: names the directory, reads nothing
};
