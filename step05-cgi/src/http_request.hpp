// Request: one parsed HTTP request (RFC 9112 section 2.1: start line,
// header fields, optional body). Introduced in step01.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct HeaderField {
    std::string name;   // lower-cased: field names are case-insensitive (RFC 9110 §5.1)
    std::string value;  // leading and trailing whitespace removed
};

struct Request {
    std::string method;   // case-sensitive token, e.g. "GET" (RFC 9110 §9.1)
    std::string target;   // as sent, still percent-encoded, e.g. "/a%20b?x=1"
    int version_minor = 1;  // 0 for HTTP/1.0, 1 for HTTP/1.1
    std::vector<HeaderField> headers;
    std::string body;     // decoded (chunked framing removed)
    bool keep_alive = true;  // what the client asked for (Connection, version)

    // The first field named `name` (lower-case), or nullptr.
    const std::string* header(std::string_view name) const {
        for (const auto& field : headers)
            if (field.name == name) return &field.value;
        return nullptr;
    }
};
