// Status lines, the Date header and the response head. Introduced in step01.
#include "http_response.hpp"

#include <cstdio>

namespace {

constexpr std::string_view kCrlf = "\r\n";

}  // namespace

std::string_view reason_phrase(int status) {
    switch (status) {  // RFC 9110 §15
        case 200: return "OK";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string http_date(std::time_t when) {
    std::tm tm{};
    ::gmtime_r(&when, &tm);
    // strftime's %a and %b depend on the locale; the protocol wants English.
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buffer;
}

namespace {

// The Date header (RFC 9110 §6.6.1) changes once a second, but formatting
// it was a quarter of the user-space work per response. Each thread keeps
// the last one it formatted and the second it stands for.
const std::string& current_http_date() {
    thread_local std::time_t formatted_at = -1;
    thread_local std::string formatted;
    const std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
        formatted = http_date(now);
        formatted_at = now;
    }
    return formatted;
}

}  // namespace

std::string serialize_head(const Response& response) {
    std::string head;
    head.reserve(256);
    head += "HTTP/1.1 ";
    head += std::to_string(response.status);
    head += ' ';
    head += reason_phrase(response.status);
    head += kCrlf;
    head += "Date: ";
    head += current_http_date();
    head += kCrlf;
    head += "Server: " SERVER_NAME;
    head += kCrlf;
    for (const auto& [name, value] : response.headers) {
        head += name;
        head += ": ";
        head += value;
        head += kCrlf;
    }
    head += "Content-Length: " + std::to_string(response.content_length());
    head += kCrlf;
    if (response.close)
        head += "Connection: close\r\n";
    else if (response.keep_alive_header)
        head += "Connection: keep-alive\r\n";
    head += kCrlf;
    return head;
}

Response error_response(int status, std::string_view reason) {
    Response response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = std::to_string(status) + " " + std::string(reason_phrase(status));
    if (!reason.empty()) {
        response.body += ": ";
        response.body += reason;
    }
    response.body += "\n";
    return response;
}
