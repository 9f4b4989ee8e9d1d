// Unit tests for the response helpers: reason phrases, the IMF-fixdate Date,
// serialize_head() (status line, fixed headers, CRLF framing) and error bodies.
#include "http_response.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <string>

namespace {

// The value of header `name` in a serialized head, or "" if absent.
std::string header_value(const std::string& head, const std::string& name) {
    std::string key = "\r\n" + name + ": ";
    auto at = head.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return head.substr(at, head.find("\r\n", at) - at);
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST(ReasonPhrase, EveryStatusTheContractLists) {
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(301), "Moved Permanently");
    EXPECT_EQ(reason_phrase(400), "Bad Request");
    EXPECT_EQ(reason_phrase(403), "Forbidden");
    EXPECT_EQ(reason_phrase(404), "Not Found");
    EXPECT_EQ(reason_phrase(413), "Content Too Large");
    EXPECT_EQ(reason_phrase(414), "URI Too Long");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(501), "Not Implemented");
    EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
}

TEST(ReasonPhrase, StatusesOfLaterSteps) {
    EXPECT_EQ(reason_phrase(408), "Request Timeout");
    EXPECT_EQ(reason_phrase(500), "Internal Server Error");
    EXPECT_EQ(reason_phrase(502), "Bad Gateway");
    EXPECT_EQ(reason_phrase(503), "Service Unavailable");
    EXPECT_EQ(reason_phrase(504), "Gateway Timeout");
}

TEST(ReasonPhrase, UnknownStatusStillHasAPhrase) {
    EXPECT_FALSE(reason_phrase(299).empty());
    EXPECT_FALSE(reason_phrase(0).empty());
}

TEST(HttpDate, KnownEpochs) {
    EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110 §5.6.7
    EXPECT_EQ(http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");  // leap day
    EXPECT_EQ(http_date(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
    EXPECT_EQ(http_date(86399), "Thu, 01 Jan 1970 23:59:59 GMT");
}

TEST(HttpDate, After2038) {
    if (sizeof(std::time_t) < 8) GTEST_SKIP() << "32-bit time_t";
    EXPECT_EQ(http_date(static_cast<std::time_t>(4102444800LL)), "Fri, 01 Jan 2100 00:00:00 GMT");
}

TEST(HttpDate, IgnoresTheLocaleAndTimeZone) {
    // The result is always GMT and English, whatever TZ says.
    const char* old = std::getenv("TZ");
    std::string saved = old ? old : "";
    ::setenv("TZ", "Asia/Tokyo", 1);
    ::tzset();
    std::string date = http_date(784111777);
    if (old)
        ::setenv("TZ", saved.c_str(), 1);
    else
        ::unsetenv("TZ");
    ::tzset();
    EXPECT_EQ(date, "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(SerializeHead, StatusLineAndFixedHeaders) {
    Response response;
    response.status = 404;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = "not here\n";
    response.close = true;

    std::time_t before = std::time(nullptr);
    std::string head = serialize_head(response);
    std::time_t after = std::time(nullptr);

    EXPECT_TRUE(head.starts_with("HTTP/1.1 404 Not Found\r\n")) << head;
    EXPECT_EQ(header_value(head, "Server"), std::string("stephttpd/") + STEP_ID);
    EXPECT_EQ(header_value(head, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(header_value(head, "Content-Length"), "9");
    EXPECT_EQ(header_value(head, "Connection"), "close");

    std::string date = header_value(head, "Date");
    EXPECT_TRUE(std::regex_match(
        date, std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)")))
        << date;
    bool now = false;
    for (std::time_t t = before; t <= after; ++t) now = now || date == http_date(t);
    EXPECT_TRUE(now) << date;

    // Framing: every line ends with CRLF, the head ends with an empty line,
    // and the empty line appears only once, at the end. No body in the head.
    EXPECT_TRUE(head.ends_with("\r\n\r\n"));
    EXPECT_EQ(count(head, "\r\n\r\n"), 1u);
    EXPECT_EQ(count(head, "\n"), count(head, "\r\n"));
    EXPECT_EQ(head.find("not here"), std::string::npos);
    EXPECT_EQ(count(head, "Content-Length:"), 1u);
    EXPECT_EQ(count(head, "Date:"), 1u);
    EXPECT_EQ(count(head, "Server:"), 1u);
}

TEST(SerializeHead, ServerHeaderNamesTheStep) {
    std::string head = serialize_head(Response{});
    EXPECT_NE(head.find("\r\nServer: stephttpd/" STEP_ID "\r\n"), std::string::npos) << head;
    EXPECT_TRUE(std::string(STEP_ID).starts_with("step"));
}

TEST(SerializeHead, ConnectionHeader) {
    Response keep;
    keep.keep_alive_header = true;
    EXPECT_EQ(header_value(serialize_head(keep), "Connection"), "keep-alive");

    Response both;  // close wins: the server is about to close
    both.close = true;
    both.keep_alive_header = true;
    EXPECT_EQ(header_value(serialize_head(both), "Connection"), "close");

    Response neither;  // an HTTP/1.1 persistent connection needs no header
    std::string head = serialize_head(neither);
    EXPECT_EQ(head.find("Connection:"), std::string::npos) << head;
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_EQ(header_value(head, "Content-Length"), "0");
}

TEST(SerializeHead, ContentLengthOfAFileBody) {
    Response response;
    response.file = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(response.file);
    response.file_size = 123456;
    response.body = "ignored when a file is sent";
    EXPECT_EQ(response.content_length(), 123456u);
    EXPECT_EQ(header_value(serialize_head(response), "Content-Length"), "123456");
}

TEST(SerializeHead, HeadRequestKeepsTheSameContentLength) {
    Response get;
    get.body = "12345";
    Response head_only;
    head_only.body = "12345";
    head_only.send_body = false;
    EXPECT_EQ(header_value(serialize_head(head_only), "Content-Length"), "5");
    EXPECT_EQ(header_value(serialize_head(get), "Content-Length"),
              header_value(serialize_head(head_only), "Content-Length"));
}

TEST(SerializeHead, ExtraHeadersKeepTheirOrder) {
    Response response;
    response.status = 301;
    response.headers.emplace_back("Location", "/sub/");
    response.headers.emplace_back("X-A", "1");
    std::string head = serialize_head(response);
    EXPECT_TRUE(head.starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
    auto location = head.find("\r\nLocation: /sub/\r\n");
    auto extra = head.find("\r\nX-A: 1\r\n");
    ASSERT_NE(location, std::string::npos);
    ASSERT_NE(extra, std::string::npos);
    EXPECT_LT(location, extra);
}

TEST(ErrorResponse, BodyNamesStatusReasonAndCause) {
    Response r = error_response(400, "header line without a colon");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, "400 Bad Request: header line without a colon\n");
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Content-Type");
    EXPECT_EQ(r.headers[0].second, "text/plain; charset=utf-8");
    EXPECT_FALSE(r.file);
    EXPECT_TRUE(r.send_body);
    EXPECT_EQ(r.content_length(), r.body.size());
}

TEST(ErrorResponse, WithoutACause) {
    EXPECT_EQ(error_response(404, "").body, "404 Not Found\n");
    EXPECT_EQ(error_response(505, "").body, "505 HTTP Version Not Supported\n");
}

TEST(ErrorResponse, EveryContractStatus) {
    for (int status : {400, 403, 404, 413, 414, 431, 501, 505}) {
        Response r = error_response(status, "why");
        EXPECT_EQ(r.body, std::to_string(status) + " " + std::string(reason_phrase(status)) +
                              ": why\n");
        std::string head = serialize_head(r);
        EXPECT_TRUE(head.starts_with("HTTP/1.1 " + std::to_string(status) + " " +
                                     std::string(reason_phrase(status)) + "\r\n"));
        EXPECT_EQ(header_value(head, "Content-Length"), std::to_string(r.body.size()));
    }
}

}  // namespace
