// Parsing a CGI program's response header section (RFC 3875 §6).
// Introduced in step05. Tinyhttpd copies the program's output to the client
// byte for byte after its own "200 OK" status line, so a program can neither
// choose the status nor be stopped from writing any header it likes.
#include "cgi_response.hpp"

#include <limits>
#include <string>
#include <utility>

namespace {

// tchar from RFC 9110 §5.6.2: the characters of a field name.
bool is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(static_cast<unsigned char>(c))) return false;
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// scheme ":" ... with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
// (RFC 3875 §6.3.2, after RFC 2396 §3.1): the client-Location form.
bool is_absolute_uri(std::string_view uri) {
    auto colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size()) return false;
    if (!is_alpha(uri[0])) return false;
    for (char c : uri.substr(1, colon - 1))
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    return true;
}

}  // namespace

std::string_view to_string(CgiResponseKind kind) {
    switch (kind) {
        case CgiResponseKind::kDocument: return "document";
        case CgiResponseKind::kLocalRedirect: return "local-redirect";
        case CgiResponseKind::kClientRedirect: return "client-redirect";
        case CgiResponseKind::kClientRedirectWithDocument: return "client-redirect-with-document";
    }
    return "unknown";
}

bool server_owned_field(std::string_view lower_name) {
    return lower_name == "connection" || lower_name == "keep-alive" ||
           lower_name == "proxy-connection" || lower_name == "te" || lower_name == "trailer" ||
           lower_name == "transfer-encoding" || lower_name == "upgrade" ||
           lower_name == "date" || lower_name == "server";
}

std::size_t CgiResponseParser::feed(std::string_view data) {
    std::size_t used = 0;
    while (status_ == Status::kNeedMore && used < data.size()) {
        // Lines end with LF; a CR before it is part of the line end (RFC 3875
        // §6.1 allows the system's newline, and scripts print "\n" or "\r\n").
        auto lf = data.find('\n', used);
        std::size_t end = lf == std::string_view::npos ? data.size() : lf + 1;
        if (header_bytes_ + (end - used) > limits_.max_header_bytes) {
            fail("CGI header section larger than " + std::to_string(limits_.max_header_bytes) +
                 " bytes");
            break;
        }
        header_bytes_ += end - used;
        line_.append(data.substr(used, end - used));
        used = end;
        if (lf == std::string_view::npos) break;  // the line continues in the next piece
        std::string_view line(line_);
        line.remove_suffix(1);  // the LF
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        on_line(line);
        line_.clear();
    }
    return used;
}

void CgiResponseParser::end_of_output() {
    if (status_ != Status::kNeedMore) return;
    fail(header_bytes_ == 0 ? "CGI program wrote no output"
                            : "CGI output ended before the end of its header section");
}

void CgiResponseParser::on_line(std::string_view line) {
    // A CR anywhere but just before the LF is a "bare CR": a client could
    // read it as a line end, and a program could use it to slip an extra
    // header line past us.
    if (line.find('\r') != std::string_view::npos) return fail("bare CR in the CGI header section");
    if (line.empty()) return finish();
    parse_field(line);
}

// field = field-name ":" [ field-value ] NL   (RFC 3875 §6.3)
void CgiResponseParser::parse_field(std::string_view line) {
    if (++field_count_ > limits_.max_header_count)
        return fail("more than " + std::to_string(limits_.max_header_count) +
                    " CGI header fields");
    if (line.front() == ' ' || line.front() == '\t')
        return fail("CGI header line starts with whitespace (obsolete line folding)");
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail("CGI header line without a colon");
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return fail("malformed CGI header field name");
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (unsigned char c : value) {
        // CR and LF cannot reach here (they end lines); NUL, the other
        // controls and DEL are refused too (RFC 9110 §5.5).
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail("control character in CGI header field " + std::string(name));
    }

    const std::string lower = to_lower(name);
    // §6.3: "each CGI field MUST NOT appear more than once in the response".
    if (lower == "status") {
        if (has_status_) return fail("CGI Status given twice");
        has_status_ = true;
        if (!parse_status(value)) return fail("malformed CGI Status: " + std::string(value));
    } else if (lower == "content-type") {  // §6.3.1
        if (has_content_type_) return fail("CGI Content-Type given twice");
        if (value.empty()) return fail("empty CGI Content-Type");
        has_content_type_ = true;
        head_.content_type = value;
        head_.headers.emplace_back("Content-Type", value);
    } else if (lower == "location") {  // §6.3.2
        if (has_location_) return fail("CGI Location given twice");
        if (value.empty()) return fail("empty CGI Location");
        has_location_ = true;
        head_.location = value;
        head_.headers.emplace_back("Location", value);
    } else if (lower == "content-length") {
        // Kept apart: the server writes Content-Length itself, from this value.
        if (head_.content_length) return fail("CGI Content-Length given twice");
        if (!parse_content_length(value))
            return fail("malformed CGI Content-Length: " + std::string(value));
    } else if (server_owned_field(lower)) {
        // The server frames the body and manages the connection; a program
        // that sent "Transfer-Encoding: chunked" or "Connection: close"
        // would make the client misread everything after this response.
        head_.dropped.emplace_back(name);
    } else {
        head_.headers.emplace_back(std::string(name), std::string(value));  // §6.3.4
    }
}

// Status = "Status:" status-code SP reason-phrase NL   (§6.3.3)
// The reason phrase is optional here: "Status: 404" is common.
bool CgiResponseParser::parse_status(std::string_view value) {
    if (value.size() < 3 || !is_digit(value[0]) || !is_digit(value[1]) || !is_digit(value[2]))
        return false;
    if (value.size() > 3 && value[3] != ' ' && value[3] != '\t') return false;  // "4044", "404x"
    int code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    // 1xx is an interim response (RFC 9110 §15.2): as the final answer the
    // client would wait for another one that never comes.
    if (code < 200 || code > 599) return false;
    head_.status = code;
    head_.reason = trim_ows(value.substr(3));
    return true;
}

bool CgiResponseParser::parse_content_length(std::string_view value) {
    if (value.empty()) return false;
    std::size_t length = 0;
    for (char c : value) {  // 1*DIGIT (RFC 9110 §8.6), no sign, no overflow
        if (!is_digit(c)) return false;
        auto digit = static_cast<std::size_t>(c - '0');
        if (length > (std::numeric_limits<std::size_t>::max() - digit) / 10) return false;
        length = length * 10 + digit;
    }
    head_.content_length = length;
    return true;
}

// The empty line: decide which of the four response types this is (§6.2).
void CgiResponseParser::finish() {
    // §6.3: at least one CGI field; §6.2.1: a document needs Content-Type.
    if (!has_content_type_ && !has_location_ && !has_status_)
        return fail("CGI response has no Content-Type, Location or Status");

    if (has_location_) {
        const bool local = head_.location.front() == '/';
        if (!local && !is_absolute_uri(head_.location))
            return fail("CGI Location is neither an absolute URI nor a path: " + head_.location);
        if (local && !has_status_ && !has_content_type_) {
            // §6.2.2: the server serves that path instead; the program's
            // other fields and any body it wrote are not part of the answer.
            head_.kind = CgiResponseKind::kLocalRedirect;
            head_.headers.clear();
            head_.content_length.reset();
        } else {
            // §6.2.3 and §6.2.4. A path with Status or a body is not a
            // local redirect; it goes to the client as a relative
            // reference, which HTTP/1.1 allows (RFC 9110 §10.2.2).
            head_.kind = has_content_type_ ? CgiResponseKind::kClientRedirectWithDocument
                                           : CgiResponseKind::kClientRedirect;
            if (!has_status_) head_.status = 302;  // §6.2.3: 302 Found
        }
    } else {
        head_.kind = CgiResponseKind::kDocument;  // status 200 unless Status said otherwise
    }
    status_ = Status::kComplete;
}

void CgiResponseParser::fail(std::string reason) {
    status_ = Status::kError;
    error_reason_ = std::move(reason);
    line_.clear();
}
