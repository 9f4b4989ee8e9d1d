// GET/HEAD of static files. Introduced in step01.
#include "static_files.hpp"


#include "errors.hpp"
#include "mime_types.hpp"
#include "path_resolver.hpp"

StaticFiles::StaticFiles(std::string root)
    : root_(std::move(root)), root_fd_(open_document_root(root_)) {
    if (!root_fd_) throw StartupError(errno_message("open " + root_));
}

Response StaticFiles::handle(const Request& request) const {
    // A server must implement GET and HEAD (RFC 9110 §9.1); others are 501.
    if (request.method != "GET" && request.method != "HEAD")
        return error_response(501, "method " + request.method + " is not implemented here");

    Resolution where = resolve_target(root_fd_.get(), request.target);
    if (where.kind == Resolution::Kind::kError) return error_response(where.status, where.reason);
    if (where.kind == Resolution::Kind::kRedirect) {
        // The body stays short: the Location field already holds the path.
        Response response = error_response(301, "the directory's address ends with a slash");
        response.headers.emplace_back("Location", where.location);
        return response;
    }

    // The file is open already, and sent later from the descriptor: the body
    // is never loaded into memory, and a file replaced meanwhile cannot mix.
    Response response;
    response.status = 200;
    response.headers.emplace_back("Content-Type", std::string(mime_type_for(where.path)));
    response.file = std::move(where.file);
    response.file_size = where.size;
    return response;
}
