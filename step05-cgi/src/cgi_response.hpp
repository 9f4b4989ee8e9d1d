// CgiResponseParser: reads the header section a CGI program writes before
// its body (RFC 3875 §6) and decides what kind of response it is.
// Introduced in step05.
//
// The program's stdout is a pipe the worker polls, so the bytes arrive in
// pieces of any size. The parser is fed each piece; once the empty line is
// seen it stops, and what it did not consume is the start of the body:
//
//   feed("Status: 404 Not")                     -> consumed 15, kNeedMore
//   feed(" Found\nContent-Type: text/plain\n\nNo") -> consumed 33, kComplete
//                                                   ("No" is body)
//
// Nothing the program writes reaches the client unchecked: a CR or LF inside
// a value, a malformed line, or a field the server owns (Connection, Date,
// Transfer-Encoding, ...) never becomes a header line of the response.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The four response types of RFC 3875 §6.2.
enum class CgiResponseKind {
    kDocument,                    // §6.2.1: Content-Type (and/or Status), then a body
    kLocalRedirect,               // §6.2.2: "Location: /path" alone: the server fetches it
    kClientRedirect,              // §6.2.3: "Location: http://..." (302 unless Status says)
    kClientRedirectWithDocument,  // §6.2.4: the same with Content-Type and a body
};

// "document", "local-redirect", ... (for --trace). Any thread.
std::string_view to_string(CgiResponseKind kind);

struct CgiResponseHead {
    CgiResponseKind kind = CgiResponseKind::kDocument;
    int status = 200;       // from Status, else 200, or 302 for a client redirect
    std::string reason;     // the reason phrase after the Status code, "" if none
    std::string content_type;  // "" when the program gave none
    std::string location;      // "" when the program gave none
    // The program's Content-Length, when it gave one: the body is then
    // exactly that long and the response can say so. Without it the server
    // chunks the body (HTTP/1.1) or closes the connection after it (HTTP/1.0).
    std::optional<std::size_t> content_length;
    // The fields to send to the client, in the program's order: Content-Type,
    // Location and any other field (names as the program spelt them).
    // Never Status, Content-Length or a field in server_owned_field().
    // Empty for a local redirect: the server answers with another resource.
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::string> dropped;  // names of fields left out (for --trace)
};

struct CgiResponseLimits {
    std::size_t max_header_bytes = 16 * 1024;  // the whole section, line ends included
    std::size_t max_header_count = 100;        // field lines
};

// Fields a program may not set because the server writes them itself for
// this connection: Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade (hop-by-hop, RFC 9110 §7.6.1), Date and
// Server. `lower_name` is lower-case. Any thread.
bool server_owned_field(std::string_view lower_name);

// One parser per CGI process; it belongs to the worker thread that polls
// that process's stdout.
class CgiResponseParser {
public:
    enum class Status {
        kNeedMore,  // the header section has not ended yet
        kComplete,  // head() is ready; the bytes after it are the body
        kError,     // malformed: the server answers 502 Bad Gateway
    };

    explicit CgiResponseParser(CgiResponseLimits limits = {}) : limits_(limits) {}

    // Consumes bytes of the header section from `data` and returns how many
    // it used: up to and including the empty line that ends the section.
    // After kComplete or kError it consumes nothing, so
    // data.substr(feed(data)) is the first piece of the body.
    std::size_t feed(std::string_view data);

    // The program closed its stdout (read() returned 0). Before the end of
    // the header section that is an error; afterwards it changes nothing.
    void end_of_output();

    Status status() const { return status_; }
    const CgiResponseHead& head() const { return head_; }        // once kComplete
    const std::string& error_reason() const { return error_reason_; }  // once kError

private:
    void on_line(std::string_view line);
    void parse_field(std::string_view line);
    bool parse_status(std::string_view value);
    bool parse_content_length(std::string_view value);
    void finish();
    void fail(std::string reason);

    CgiResponseLimits limits_;
    Status status_ = Status::kNeedMore;
    CgiResponseHead head_;
    std::string line_;              // the line being assembled
    std::size_t header_bytes_ = 0;  // bytes of the section so far
    std::size_t field_count_ = 0;
    bool has_status_ = false;
    bool has_content_type_ = false;
    bool has_location_ = false;
    std::string error_reason_;
};
