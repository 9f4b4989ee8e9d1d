// GET/HEAD of static files. Introduced in step01.
#include "static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "mime_types.hpp"
#include "path_resolver.hpp"

Response StaticFiles::handle(const Request& request) const {
    // A server must implement GET and HEAD (RFC 9110 §9.1); others are 501.
    if (request.method != "GET" && request.method != "HEAD")
        return error_response(501, "method " + request.method + " is not implemented here");

    Resolution where = resolve_target(root_, request.target);
    if (where.kind == Resolution::Kind::kError) return error_response(where.status, where.reason);
    if (where.kind == Resolution::Kind::kRedirect) {
        // The body stays short: the Location field already holds the path.
        Response response = error_response(301, "the directory's address ends with a slash");
        response.headers.emplace_back("Location", where.location);
        return response;
    }

    // Open the file now and send it later from the descriptor: the body is
    // never loaded into memory, and a file replaced meanwhile cannot mix.
    // O_NONBLOCK: if a FIFO replaced the file since the check, open() must
    // not wait for a writer (it changes nothing for a regular file).
    UniqueFd file(::open(where.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!file) return error_response(errno == ENOENT ? 404 : 403, "cannot open the file");
    struct stat st {};
    if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return error_response(403, "not a regular file");

    Response response;
    response.status = 200;
    response.headers.emplace_back("Content-Type", std::string(mime_type_for(where.path)));
    response.file = std::move(file);
    response.file_size = static_cast<std::size_t>(st.st_size);
    return response;
}
