// CgiEnvironment: the "NAME=value" strings a CGI program receives as its
// environment (RFC 3875 §4.1), built before fork() into an array that
// execve() takes as it is. Introduced in step05.
//
//   variables_  "GATEWAY_INTERFACE=CGI/1.1"  "REQUEST_METHOD=POST"  ...
//                ^                            ^
//   pointers_   [ char*,                      char*,   ...,  nullptr ]  <- envp()
//
// Everything is allocated here, in the worker thread. Between fork() and
// execve() the child may call only async-signal-safe functions, and malloc
// is not one of them, so the child only reads envp().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http_request.hpp"

// What the server knows about one CGI request besides the request itself.
// The caller fills it in from the resolved path and the connection, with
// designated initializers; every member but `request` may be left out (the
// `{}` keeps g++'s -Wmissing-field-initializers quiet). build() copies what
// it needs and keeps no reference.
struct CgiRequestInfo {
    const Request& request;         // method, version, headers, body
    std::string script_name{};      // URL path of the script, e.g. "/cgi-bin/env.sh"
    std::string path_info{};        // URL path after it, e.g. "/extra/x", or ""
    std::string path_translated{};  // path_info mapped under the root, or ""
    std::string query_string{};     // after '?', raw (still percent-encoded), or ""
    std::string script_path{};      // the file that is executed (SCRIPT_FILENAME)
    std::string document_root{};    // --root, as an absolute path
    std::string server_name{};      // from Host (without port) or the bound address
    int server_port = 0;            // the port the request arrived on
    std::string remote_addr{};      // the client's IP address, e.g. "127.0.0.1"
    int remote_port = 0;            // the client's port
};

struct CgiEnvironmentLimits {
    std::size_t max_variables = 128;     // "NAME=value" strings
    std::size_t max_bytes = 64 * 1024;   // all of them, each counted with its NUL
};

class CgiEnvironment {
public:
    enum class Error {
        kNone,
        kTooManyVariables,  // more than max_variables
        kTooLarge,          // more than max_bytes
        kNulByte,           // a value holds '\0': execve would cut it short
    };

    explicit CgiEnvironment(CgiEnvironmentLimits limits = {});

    // The array points into the strings this object owns: a copy would point
    // into the original. Moving is fine (the array is rebuilt).
    CgiEnvironment(const CgiEnvironment&) = delete;
    CgiEnvironment& operator=(const CgiEnvironment&) = delete;
    CgiEnvironment(CgiEnvironment&& other);
    CgiEnvironment& operator=(CgiEnvironment&& other);
    ~CgiEnvironment() = default;

    // Builds the environment for one request, replacing any earlier one.
    // False when a limit is crossed or a value holds a NUL: then error(),
    // error_status() and error_reason() say why, and envp() is an empty
    // list. Worker thread, before fork().
    bool build(const CgiRequestInfo& info);

    // The null-terminated array for execve(). Valid until this object is
    // destroyed, moved from or rebuilt. Reading it allocates nothing, so the
    // child may use it between fork() and execve().
    char* const* envp() const { return pointers_.data(); }

    // "NAME=value" strings, in the order they were added (for tests and --trace).
    const std::vector<std::string>& variables() const { return variables_; }
    std::size_t size() const { return variables_.size(); }
    std::size_t bytes() const { return bytes_; }  // with one NUL per string

    // Whether NAME is set, and its value ("" when it is not set). For tests
    // and --trace; the thread that owns the object.
    bool has(std::string_view name) const { return find(name) != nullptr; }
    std::string_view value(std::string_view name) const;

    Error error() const { return error_; }
    // 431 when the request's own header fields overflowed the limits
    // (the client can fix that), 500 otherwise.
    int error_status() const { return error_status_; }
    const std::string& error_reason() const { return error_reason_; }

private:
    const std::string* find(std::string_view name) const;  // "NAME=value"
    bool add(std::string_view name, std::string_view value);
    bool add_meta_variables(const CgiRequestInfo& info);
    bool add_header_variables(const Request& request);
    bool fail(Error error, int status, std::string reason);
    void clear();
    void rebuild_pointers();

    CgiEnvironmentLimits limits_;
    std::vector<std::string> variables_;
    std::vector<char*> pointers_{nullptr};  // always ends with nullptr
    std::size_t bytes_ = 0;
    Error error_ = Error::kNone;
    int error_status_ = 0;
    std::string error_reason_{};
};

// HTTP_ACCEPT_LANGUAGE for "accept-language" (RFC 3875 §4.1.18), or "" when
// the field must not become a variable: a name with a character other than
// a letter, digit or '-', and the fields in excluded_from_cgi(). Any thread.
std::string cgi_header_variable_name(std::string_view field_name);

// True for header fields that never reach the script as HTTP_*: Proxy
// (httpoxy), Authorization and Proxy-Authorization (§4.1.18: credentials),
// Content-Length and Content-Type (CONTENT_LENGTH and CONTENT_TYPE carry
// them), Transfer-Encoding (the body on stdin is already decoded, §4.2).
// `field_name` is lower-case. Any thread.
bool excluded_from_cgi(std::string_view field_name);
