// Building a CGI program's environment from a request (RFC 3875 §4.1).
// Introduced in step05. Tinyhttpd's execute_cgi() calls putenv() in the
// child after fork(), adding two or three variables to the whole
// environment it inherited from the server (and putenv() may allocate,
// which is unsafe after fork() in a threaded program). Here the list is
// built before fork(), complete, and holds nothing of the server's own.
#include "cgi_environment.hpp"

#include <string>
#include <utility>

#include "http_response.hpp"  // SERVER_NAME, "stephttpd/stepNN"

namespace {

// A fixed search path: the server's own PATH is not passed on (it is the
// environment of whoever started the server), but "#!/usr/bin/env sh" and
// the commands a script runs still need one.
constexpr std::string_view kPath = "/usr/local/bin:/usr/bin:/bin";

bool is_name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

bool excluded_from_cgi(std::string_view field_name) {
    return field_name == "proxy"                  // httpoxy: HTTP_PROXY looks like a proxy setting
           || field_name == "authorization"       // §4.1.18, §9.2: credentials stay with the server
           || field_name == "proxy-authorization"
           || field_name == "content-length"      // §4.1.2: CONTENT_LENGTH
           || field_name == "content-type"        // §4.1.3: CONTENT_TYPE
           || field_name == "transfer-encoding";  // §4.2: stdin is the decoded body
}

std::string cgi_header_variable_name(std::string_view field_name) {
    if (field_name.empty() || excluded_from_cgi(field_name)) return {};
    std::string name = "HTTP_";
    for (char c : field_name) {
        // '_' is a legal field-name character, but "X-Foo" and "X_Foo" would
        // both become HTTP_X_FOO: a client could then override a header a
        // proxy in front of us set. Such names are dropped (as nginx does).
        if (!is_name_char(static_cast<unsigned char>(c))) return {};
        name += c == '-' ? '_' : to_upper(c);
    }
    return name;
}

CgiEnvironment::CgiEnvironment(CgiEnvironmentLimits limits) : limits_(limits) {}

CgiEnvironment::CgiEnvironment(CgiEnvironment&& other)
    : limits_(other.limits_),
      variables_(std::move(other.variables_)),
      bytes_(other.bytes_),
      error_(other.error_),
      error_status_(other.error_status_),
      error_reason_(std::move(other.error_reason_)) {
    rebuild_pointers();
    other.clear();
}

CgiEnvironment& CgiEnvironment::operator=(CgiEnvironment&& other) {
    if (this != &other) {
        limits_ = other.limits_;
        variables_ = std::move(other.variables_);
        bytes_ = other.bytes_;
        error_ = other.error_;
        error_status_ = other.error_status_;
        error_reason_ = std::move(other.error_reason_);
        rebuild_pointers();
        other.clear();
    }
    return *this;
}

bool CgiEnvironment::build(const CgiRequestInfo& info) {
    clear();
    if (!add_meta_variables(info) || !add_header_variables(info.request)) {
        variables_.clear();  // never hand a half-built list to execve
        bytes_ = 0;
        rebuild_pointers();
        return false;
    }
    rebuild_pointers();
    return true;
}

// The request meta-variables of RFC 3875 §4.1, then four that are not in
// the RFC but that scripts and interpreters commonly expect (Apache's
// names): REMOTE_PORT, DOCUMENT_ROOT, SCRIPT_FILENAME, REDIRECT_STATUS.
bool CgiEnvironment::add_meta_variables(const CgiRequestInfo& info) {
    const Request& request = info.request;
    const std::string protocol = "HTTP/1." + std::to_string(request.version_minor);
    bool ok = add("GATEWAY_INTERFACE", "CGI/1.1")  // §4.1.4
              && add("SERVER_SOFTWARE", SERVER_NAME)  // §4.1.17
              && add("SERVER_PROTOCOL", protocol)  // §4.1.16: the request's version
              && add("SERVER_NAME", info.server_name)  // §4.1.14
              && add("SERVER_PORT", std::to_string(info.server_port))  // §4.1.15
              && add("REQUEST_METHOD", request.method)  // §4.1.12
              && add("SCRIPT_NAME", info.script_name)  // §4.1.13
              && add("PATH_INFO", info.path_info);  // §4.1.5: may be empty
    // §4.1.6: when PATH_INFO is empty, PATH_TRANSLATED is not set.
    if (ok && !info.path_info.empty() && !info.path_translated.empty())
        ok = add("PATH_TRANSLATED", info.path_translated);
    ok = ok && add("QUERY_STRING", info.query_string)  // §4.1.7: always, maybe ""
         && add("REMOTE_ADDR", info.remote_addr)  // §4.1.8
         && add("REMOTE_PORT", std::to_string(info.remote_port));
    // §4.1.2: CONTENT_LENGTH if and only if the request has a body. A
    // "Content-Length: 0" body is still a body; without any framing header
    // there is none. The value is the decoded length (chunks removed, §4.2).
    bool has_body = !request.body.empty() || request.header("content-length") ||
                    request.header("transfer-encoding");
    if (ok && has_body) ok = add("CONTENT_LENGTH", std::to_string(request.body.size()));
    // §4.1.3: CONTENT_TYPE whenever the client sent Content-Type; no default.
    if (const std::string* type = request.header("content-type"); ok && type)
        ok = add("CONTENT_TYPE", *type);
    return ok && add("DOCUMENT_ROOT", info.document_root) &&
           add("SCRIPT_FILENAME", info.script_path)
           // PHP's php-cgi refuses to run unless it sees this (its guard
           // against being called directly, without a server in front).
           && add("REDIRECT_STATUS", "200") && add("PATH", kPath);
}

// One HTTP_* variable per distinct header field name (§4.1.18), in the order
// the names first appear.
bool CgiEnvironment::add_header_variables(const Request& request) {
    std::vector<std::pair<std::string, std::string>> joined;  // (variable name, value)
    for (const HeaderField& field : request.headers) {
        std::string name = cgi_header_variable_name(field.name);
        if (name.empty()) continue;
        auto it = joined.begin();
        while (it != joined.end() && it->first != name) ++it;
        if (it == joined.end()) {
            joined.emplace_back(std::move(name), field.value);
            continue;
        }
        // §4.1.18: repeated fields become one value "having the same
        // semantics". For list-valued fields that is a comma (RFC 9110
        // §5.3); cookie pairs are separated by "; " (RFC 6265 §5.4).
        it->second += field.name == "cookie" ? "; " : ", ";
        it->second += field.value;
    }
    for (const auto& [name, value] : joined) {
        if (!add(name, value)) {
            // The client's header fields overflowed the limits: its fault.
            if (error_ != Error::kNulByte) error_status_ = 431;
            return false;
        }
    }
    return true;
}

bool CgiEnvironment::add(std::string_view name, std::string_view value) {
    // The request parser rejects NUL bytes, but a NUL here would silently
    // end the string that execve() copies: refuse rather than truncate.
    if (value.find('\0') != std::string_view::npos)
        return fail(Error::kNulByte, 500, std::string(name) + " holds a NUL byte");
    if (variables_.size() + 1 > limits_.max_variables)
        return fail(Error::kTooManyVariables, 500,
                    "more than " + std::to_string(limits_.max_variables) +
                        " CGI environment variables");
    std::size_t size = name.size() + 1 + value.size() + 1;  // "NAME=value\0"
    if (bytes_ + size > limits_.max_bytes)
        return fail(Error::kTooLarge, 500,
                    "CGI environment larger than " + std::to_string(limits_.max_bytes) +
                        " bytes");
    std::string variable;
    variable.reserve(size);
    variable.append(name).append(1, '=').append(value);
    variables_.push_back(std::move(variable));
    bytes_ += size;
    return true;
}

bool CgiEnvironment::fail(Error error, int status, std::string reason) {
    error_ = error;
    error_status_ = status;
    error_reason_ = std::move(reason);
    return false;
}

void CgiEnvironment::clear() {
    variables_.clear();
    bytes_ = 0;
    error_ = Error::kNone;
    error_status_ = 0;
    error_reason_.clear();
    rebuild_pointers();
}

// execve() wants char* const[]: one pointer per string, then nullptr.
void CgiEnvironment::rebuild_pointers() {
    pointers_.clear();
    pointers_.reserve(variables_.size() + 1);
    for (std::string& variable : variables_) pointers_.push_back(variable.data());
    pointers_.push_back(nullptr);
}

const std::string* CgiEnvironment::find(std::string_view name) const {
    for (const std::string& variable : variables_) {
        if (variable.size() > name.size() && variable[name.size()] == '=' &&
            std::string_view(variable).substr(0, name.size()) == name)
            return &variable;
    }
    return nullptr;
}

std::string_view CgiEnvironment::value(std::string_view name) const {
    const std::string* variable = find(name);
    if (!variable) return {};
    return std::string_view(*variable).substr(name.size() + 1);
}
