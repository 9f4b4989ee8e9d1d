// CgiHandler: the access handler for /cgi-bin/. It decides whether a
// request runs a program, and which, then asks the connection to run it.
// Introduced in step05.
//
//   /cgi-bin/form.sh/extra/path?q=1
//            ^^^^^^^                 the program: --cgi-dir/form.sh, a
//                                    regular, executable file, inside it
//                   ^^^^^^^^^^^      PATH_INFO
//                              ^^^   QUERY_STRING
//
// Only that directory runs programs, and only through that prefix: a file
// with execute bits anywhere else is served as a file (Tinyhttpd runs any
// file whose execute bits are set, wherever it is).
#pragma once

#include <optional>
#include <string>

#include "connection.hpp"

class CgiHandler {
public:
    // `root` is the canonical document root; `cgi_dir` is relative to it.
    // A missing CGI directory is not an error: /cgi-bin/ is then 404.
    CgiHandler(std::string root, const std::string& cgi_dir);

    // The error response, an empty Response after context.run_cgi(), or
    // nullopt when the target is not under /cgi-bin/. Worker threads.
    std::optional<Response> handle(const Request& request, RequestContext& context) const;

private:
    std::string root_;
    std::string cgi_dir_;  // canonical path, or "" when it does not exist
};
