// StaticFiles: the request handler that serves files from the document root
// (GET and HEAD). Introduced in step01. In step03 it becomes one access
// handler among others, as in libmicrohttpd's MHD_AccessHandlerCallback.
#pragma once

#include <string>

#include "http_request.hpp"
#include "http_response.hpp"

class StaticFiles {
public:
    // `root` must be the canonical path of an existing directory.
    explicit StaticFiles(std::string root) : root_(std::move(root)) {}

    // Builds the response for a parsed request: the file (opened, not read),
    // a redirect, or an error. Any thread may call it concurrently.
    Response handle(const Request& request) const;

    const std::string& root() const { return root_; }

private:
    std::string root_;
};
