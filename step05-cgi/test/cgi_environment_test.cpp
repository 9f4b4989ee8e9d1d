// Unit tests for CgiEnvironment: every meta-variable of RFC 3875 §4.1, the
// header -> HTTP_* mapping, the fields left out, the limits, and an envp
// array that execve() really accepts.
#include "cgi_environment.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "request_parser.hpp"

namespace {

using Error = CgiEnvironment::Error;

// A request as the server's own parser produces it (lower-cased names,
// trimmed values, decoded body).
Request parse_request(std::string_view raw) {
    RequestParser parser;
    parser.feed(raw);
    EXPECT_EQ(parser.status(), RequestParser::Status::kComplete) << parser.error_reason();
    return parser.request();
}

Request make_request(std::vector<HeaderField> headers, std::string method = "GET",
                     std::string body = "") {
    Request request;
    request.method = std::move(method);
    request.target = "/cgi-bin/env.sh";
    request.headers = std::move(headers);
    request.body = std::move(body);
    return request;
}

CgiRequestInfo make_info(const Request& request) {
    return CgiRequestInfo{
        .request = request,
        .script_name = "/cgi-bin/env.sh",
        .path_info = "/extra/x",
        .path_translated = "/srv/www/extra/x",
        .query_string = "a=1&b=%20c",
        .script_path = "/srv/www/cgi-bin/env.sh",
        .document_root = "/srv/www",
        .server_name = "localhost",
        .server_port = 8080,
        .remote_addr = "127.0.0.1",
        .remote_port = 54321,
    };
}

CgiEnvironment build(const CgiRequestInfo& info, CgiEnvironmentLimits limits = {}) {
    CgiEnvironment env(limits);
    EXPECT_TRUE(env.build(info)) << env.error_reason();
    return env;
}

// The envp array, read back as strings, exactly as execve() would walk it.
std::vector<std::string> walk(char* const* envp) {
    std::vector<std::string> out;
    for (; *envp != nullptr; ++envp) out.emplace_back(*envp);
    return out;
}

std::vector<std::string> names_with_prefix(const CgiEnvironment& env, std::string_view prefix) {
    std::vector<std::string> names;
    for (const std::string& variable : env.variables())
        if (variable.starts_with(prefix)) names.push_back(variable.substr(0, variable.find('=')));
    return names;
}

const std::vector<std::string> kMetaVariables = {
    "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "SERVER_PROTOCOL", "SERVER_NAME",
    "SERVER_PORT",       "REQUEST_METHOD",  "SCRIPT_NAME",     "PATH_INFO",
    "PATH_TRANSLATED",   "QUERY_STRING",    "REMOTE_ADDR",     "REMOTE_PORT",
    "CONTENT_LENGTH",    "CONTENT_TYPE",    "DOCUMENT_ROOT",   "SCRIPT_FILENAME",
    "REDIRECT_STATUS",   "PATH",
};

// ---------------------------------------------------------------- meta-variables

TEST(CgiEnvironment, SetsEveryMetaVariable) {
    Request request = parse_request(
        "POST /cgi-bin/env.sh/extra/x?a=1&b=%20c HTTP/1.1\r\n"
        "Host: localhost:8080\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 10\r\n"
        "\r\n"
        "color=teal");
    CgiEnvironment env = build(make_info(request));

    EXPECT_EQ(env.value("GATEWAY_INTERFACE"), "CGI/1.1");
    EXPECT_EQ(env.value("SERVER_SOFTWARE"), "stephttpd/" STEP_ID);
    EXPECT_TRUE(env.value("SERVER_SOFTWARE").starts_with("stephttpd/step"));
    EXPECT_EQ(env.value("SERVER_PROTOCOL"), "HTTP/1.1");
    EXPECT_EQ(env.value("SERVER_NAME"), "localhost");
    EXPECT_EQ(env.value("SERVER_PORT"), "8080");
    EXPECT_EQ(env.value("REQUEST_METHOD"), "POST");
    EXPECT_EQ(env.value("SCRIPT_NAME"), "/cgi-bin/env.sh");
    EXPECT_EQ(env.value("PATH_INFO"), "/extra/x");
    EXPECT_EQ(env.value("PATH_TRANSLATED"), "/srv/www/extra/x");
    EXPECT_EQ(env.value("QUERY_STRING"), "a=1&b=%20c");
    EXPECT_EQ(env.value("REMOTE_ADDR"), "127.0.0.1");
    EXPECT_EQ(env.value("REMOTE_PORT"), "54321");
    EXPECT_EQ(env.value("CONTENT_LENGTH"), "10");
    EXPECT_EQ(env.value("CONTENT_TYPE"), "application/x-www-form-urlencoded");
    EXPECT_EQ(env.value("DOCUMENT_ROOT"), "/srv/www");
    EXPECT_EQ(env.value("SCRIPT_FILENAME"), "/srv/www/cgi-bin/env.sh");
    EXPECT_EQ(env.value("REDIRECT_STATUS"), "200");
    EXPECT_EQ(env.value("PATH"), "/usr/local/bin:/usr/bin:/bin");
    EXPECT_EQ(env.value("HTTP_HOST"), "localhost:8080");
    for (const std::string& name : kMetaVariables) EXPECT_TRUE(env.has(name)) << name;
    EXPECT_EQ(env.size(), kMetaVariables.size() + 1);  // + HTTP_HOST
    EXPECT_EQ(env.error(), Error::kNone);
}

TEST(CgiEnvironment, MetaVariablesComeFirstInAFixedOrder) {
    Request request = make_request({{"host", "h"}}, "POST", "x");
    request.headers.push_back({"content-type", "text/plain"});
    CgiEnvironment env = build(make_info(request));
    std::vector<std::string> names;
    for (const std::string& variable : env.variables())
        names.push_back(variable.substr(0, variable.find('=')));
    std::vector<std::string> expected = kMetaVariables;
    expected.push_back("HTTP_HOST");
    EXPECT_EQ(names, expected);
}

TEST(CgiEnvironment, ServerProtocolIsTheRequestsVersion) {
    Request request = parse_request("GET /cgi-bin/env.sh HTTP/1.0\r\n\r\n");
    EXPECT_EQ(build(make_info(request)).value("SERVER_PROTOCOL"), "HTTP/1.0");
    request.version_minor = 1;
    EXPECT_EQ(build(make_info(request)).value("SERVER_PROTOCOL"), "HTTP/1.1");
}

TEST(CgiEnvironment, RequestMethodIsPassedAsSent) {
    for (const char* method : {"GET", "HEAD", "POST"}) {
        Request request = make_request({}, method);
        EXPECT_EQ(build(make_info(request)).value("REQUEST_METHOD"), method);
    }
}

TEST(CgiEnvironment, PathTranslatedOnlyWithPathInfo) {  // §4.1.6
    Request request = make_request({});
    CgiRequestInfo info = make_info(request);
    info.path_info = "";
    info.path_translated = "/srv/www";
    CgiEnvironment env = build(info);
    EXPECT_TRUE(env.has("PATH_INFO"));
    EXPECT_EQ(env.value("PATH_INFO"), "");
    EXPECT_FALSE(env.has("PATH_TRANSLATED"));

    info.path_info = "/a/b";
    info.path_translated = "";  // the server could not map it
    EXPECT_FALSE(build(info).has("PATH_TRANSLATED"));
}

TEST(CgiEnvironment, QueryStringIsAlwaysSetAndStaysEncoded) {  // §4.1.7
    Request request = make_request({});
    CgiRequestInfo info = make_info(request);
    info.query_string = "";
    CgiEnvironment env = build(info);
    EXPECT_TRUE(env.has("QUERY_STRING"));
    EXPECT_EQ(env.value("QUERY_STRING"), "");

    info.query_string = "q=a%26b+c&x=%2F";
    EXPECT_EQ(build(info).value("QUERY_STRING"), "q=a%26b+c&x=%2F");
}

TEST(CgiEnvironment, NoContentLengthWithoutABody) {  // §4.1.2
    Request request = parse_request("GET /cgi-bin/env.sh HTTP/1.1\r\nHost: h\r\n\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_FALSE(env.has("CONTENT_LENGTH"));
    EXPECT_FALSE(env.has("CONTENT_TYPE"));
}

TEST(CgiEnvironment, ContentLengthZeroIsStillABody) {
    Request request = parse_request(
        "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("CONTENT_LENGTH"), "0");
    EXPECT_FALSE(env.has("HTTP_CONTENT_LENGTH"));
}

TEST(CgiEnvironment, ContentLengthOfAChunkedBodyIsTheDecodedLength) {  // §4.2
    Request request = parse_request(
        "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("CONTENT_LENGTH"), "11");
    // stdin carries the decoded body: the script must not think it is chunked.
    EXPECT_FALSE(env.has("HTTP_TRANSFER_ENCODING"));
}

TEST(CgiEnvironment, ContentTypeWheneverTheClientSentOne) {  // §4.1.3
    Request request = make_request({{"content-type", "text/plain; charset=utf-8"}});
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("CONTENT_TYPE"), "text/plain; charset=utf-8");
    EXPECT_FALSE(env.has("CONTENT_LENGTH"));  // a type, but no body
    EXPECT_FALSE(env.has("HTTP_CONTENT_TYPE"));
}

TEST(CgiEnvironment, ServerEnvironmentIsNotPassed) {
    ASSERT_EQ(::setenv("STEPHTTPD_SECRET", "do-not-leak", 1), 0);
    ASSERT_EQ(::setenv("HTTP_PROXY", "http://evil.example:3128", 1), 0);
    Request request = make_request({{"host", "h"}});
    CgiEnvironment env = build(make_info(request));
    ::unsetenv("STEPHTTPD_SECRET");
    ::unsetenv("HTTP_PROXY");
    EXPECT_FALSE(env.has("STEPHTTPD_SECRET"));
    EXPECT_FALSE(env.has("HTTP_PROXY"));
    EXPECT_FALSE(env.has("HOME"));
    // Only the meta-variables and HTTP_* from the request, nothing else.
    const std::set<std::string> allowed(kMetaVariables.begin(), kMetaVariables.end());
    for (const std::string& variable : env.variables()) {
        std::string name = variable.substr(0, variable.find('='));
        EXPECT_TRUE(allowed.count(name) == 1 || name == "HTTP_HOST") << name;
    }
}

// ---------------------------------------------------------------- HTTP_* variables

TEST(CgiEnvironment, HeaderNamesAreUpperCasedWithUnderscores) {  // §4.1.18
    Request request = parse_request(
        "GET /cgi-bin/env.sh HTTP/1.1\r\n"
        "Host: example.test\r\n"
        "User-Agent: curl/8.0\r\n"
        "Accept-Language: en, fr;q=0.5\r\n"
        "X-Request-ID: 42\r\n"
        "x-a1-B2: mixed\r\n"
        "DNT: 1\r\n"
        "\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("HTTP_HOST"), "example.test");
    EXPECT_EQ(env.value("HTTP_USER_AGENT"), "curl/8.0");
    EXPECT_EQ(env.value("HTTP_ACCEPT_LANGUAGE"), "en, fr;q=0.5");
    EXPECT_EQ(env.value("HTTP_X_REQUEST_ID"), "42");
    EXPECT_EQ(env.value("HTTP_X_A1_B2"), "mixed");
    EXPECT_EQ(env.value("HTTP_DNT"), "1");
    EXPECT_EQ(names_with_prefix(env, "HTTP_"),
              (std::vector<std::string>{"HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT_LANGUAGE",
                                        "HTTP_X_REQUEST_ID", "HTTP_X_A1_B2", "HTTP_DNT"}));
}

TEST(CgiEnvironment, HeaderValuesArePassedAsTheParserLeftThem) {
    Request request = parse_request(
        "GET / HTTP/1.1\r\nHost: h\r\nX-Spaces:   inner  spaces kept \t\r\n"
        "X-Empty:\r\nX-Utf8: w\xC3\xB6rld\r\n\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("HTTP_X_SPACES"), "inner  spaces kept");
    EXPECT_TRUE(env.has("HTTP_X_EMPTY"));
    EXPECT_EQ(env.value("HTTP_X_EMPTY"), "");
    EXPECT_EQ(env.value("HTTP_X_UTF8"), "w\xC3\xB6rld");
}

TEST(CgiEnvironment, RepeatedFieldsAreJoinedWithCommas) {  // §4.1.18
    Request request = parse_request(
        "GET / HTTP/1.1\r\n"
        "Accept: text/html\r\n"
        "Host: h\r\n"
        "accept: application/json\r\n"
        "X-Forwarded-For: 10.0.0.1\r\n"
        "ACCEPT: */*\r\n"
        "X-Forwarded-For: 10.0.0.2\r\n"
        "\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("HTTP_ACCEPT"), "text/html, application/json, */*");
    EXPECT_EQ(env.value("HTTP_X_FORWARDED_FOR"), "10.0.0.1, 10.0.0.2");
    // One variable per name, in the order the names first appeared.
    EXPECT_EQ(names_with_prefix(env, "HTTP_"),
              (std::vector<std::string>{"HTTP_ACCEPT", "HTTP_HOST", "HTTP_X_FORWARDED_FOR"}));
}

TEST(CgiEnvironment, RepeatedCookiesAreJoinedWithSemicolons) {  // RFC 6265 §5.4
    Request request = make_request({{"cookie", "a=1"}, {"cookie", "b=2; c=3"}});
    EXPECT_EQ(build(make_info(request)).value("HTTP_COOKIE"), "a=1; b=2; c=3");
}

TEST(CgiEnvironment, HttpoxyProxyHeaderNeverBecomesHttpProxy) {
    Request request = parse_request(
        "GET / HTTP/1.1\r\nHost: h\r\nProxy: http://evil.example:3128\r\n"
        "proxy: http://evil2.example\r\n\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_FALSE(env.has("HTTP_PROXY"));
    for (const std::string& variable : env.variables())
        EXPECT_EQ(variable.find("evil"), std::string::npos) << variable;
}

TEST(CgiEnvironment, CredentialsAreNotPassed) {  // §4.1.18, §9.2
    Request request = parse_request(
        "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"
        "Proxy-Authorization: Basic cHJveHk6cGFzcw==\r\n\r\n");
    CgiEnvironment env = build(make_info(request));
    EXPECT_FALSE(env.has("HTTP_AUTHORIZATION"));
    EXPECT_FALSE(env.has("HTTP_PROXY_AUTHORIZATION"));
    for (const std::string& variable : env.variables())
        EXPECT_EQ(variable.find("Basic"), std::string::npos) << variable;
}

TEST(CgiEnvironment, FieldsWithTheirOwnVariablesAreNotDuplicated) {
    Request request = make_request(
        {{"content-length", "3"}, {"content-type", "text/plain"}, {"transfer-encoding", "chunked"}},
        "POST", "abc");
    CgiEnvironment env = build(make_info(request));
    EXPECT_TRUE(names_with_prefix(env, "HTTP_").empty());
    EXPECT_EQ(env.value("CONTENT_LENGTH"), "3");
    EXPECT_EQ(env.value("CONTENT_TYPE"), "text/plain");
}

TEST(CgiEnvironment, NamesThatCouldCollideAreSkipped) {
    // "foo_bar" would also map to HTTP_FOO_BAR and could override "foo-bar".
    Request request = make_request({{"foo_bar", "spoofed"},
                                    {"foo-bar", "real"},
                                    {"x.dotted", "1"},
                                    {"x!bang", "1"},
                                    {"x~tilde", "1"},
                                    {"accept", "*/*"}});
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(env.value("HTTP_FOO_BAR"), "real");
    EXPECT_EQ(names_with_prefix(env, "HTTP_"),
              (std::vector<std::string>{"HTTP_FOO_BAR", "HTTP_ACCEPT"}));
}

TEST(CgiEnvironment, VariableNameOfAHeaderField) {
    EXPECT_EQ(cgi_header_variable_name("host"), "HTTP_HOST");
    EXPECT_EQ(cgi_header_variable_name("accept-language"), "HTTP_ACCEPT_LANGUAGE");
    EXPECT_EQ(cgi_header_variable_name("x-1-2"), "HTTP_X_1_2");
    EXPECT_EQ(cgi_header_variable_name("X-Mixed"), "HTTP_X_MIXED");
    EXPECT_EQ(cgi_header_variable_name(""), "");
    EXPECT_EQ(cgi_header_variable_name("foo_bar"), "");
    EXPECT_EQ(cgi_header_variable_name("a.b"), "");
    EXPECT_EQ(cgi_header_variable_name("a b"), "");
    EXPECT_EQ(cgi_header_variable_name(std::string_view("a\0b", 3)), "");
    for (const char* name : {"proxy", "authorization", "proxy-authorization", "content-length",
                             "content-type", "transfer-encoding"}) {
        EXPECT_TRUE(excluded_from_cgi(name)) << name;
        EXPECT_EQ(cgi_header_variable_name(name), "") << name;
    }
    EXPECT_FALSE(excluded_from_cgi("proxy-connection"));
    EXPECT_FALSE(excluded_from_cgi("x-proxy"));
    EXPECT_EQ(cgi_header_variable_name("x-proxy"), "HTTP_X_PROXY");
}

// ---------------------------------------------------------------- the envp array

TEST(CgiEnvironment, EnvpIsNullTerminatedAndMatchesTheVariables) {
    Request request = make_request({{"host", "h"}, {"accept", "*/*"}, {"accept", "text/html"}});
    CgiEnvironment env = build(make_info(request));
    char* const* envp = env.envp();
    ASSERT_NE(envp, nullptr);
    EXPECT_EQ(walk(envp), env.variables());
    EXPECT_EQ(envp[env.size()], nullptr);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < env.size(); ++i) {
        EXPECT_EQ(envp[i], env.variables()[i].c_str());  // no copies: points into the strings
        bytes += env.variables()[i].size() + 1;
    }
    EXPECT_EQ(env.bytes(), bytes);
}

TEST(CgiEnvironment, EveryEntryIsNameEqualsValue) {
    Request request = make_request({{"host", "h"}, {"x-eq", "a=b=c"}});
    CgiEnvironment env = build(make_info(request));
    for (const std::string& variable : walk(env.envp())) {
        auto equals = variable.find('=');
        ASSERT_NE(equals, std::string::npos) << variable;
        ASSERT_GT(equals, 0u);
        for (char c : variable.substr(0, equals))
            EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << variable;
    }
    EXPECT_EQ(env.value("HTTP_X_EQ"), "a=b=c");
}

TEST(CgiEnvironment, AnUnbuiltEnvironmentIsAnEmptyList) {
    CgiEnvironment env;
    ASSERT_NE(env.envp(), nullptr);
    EXPECT_EQ(env.envp()[0], nullptr);
    EXPECT_EQ(env.size(), 0u);
    EXPECT_FALSE(env.has("PATH"));
    EXPECT_EQ(env.value("PATH"), "");
}

TEST(CgiEnvironment, BuildingAgainReplacesTheOldList) {
    Request first = make_request({{"x-first", "1"}, {"host", "h"}});
    Request second = make_request({{"x-second", "2"}});
    CgiEnvironment env;
    ASSERT_TRUE(env.build(make_info(first)));
    ASSERT_TRUE(env.build(make_info(second)));
    EXPECT_FALSE(env.has("HTTP_X_FIRST"));
    EXPECT_FALSE(env.has("HTTP_HOST"));
    EXPECT_EQ(env.value("HTTP_X_SECOND"), "2");
    EXPECT_EQ(walk(env.envp()), env.variables());
}

TEST(CgiEnvironment, MovingKeepsTheArrayValid) {
    Request request = make_request({{"host", "h"}, {"x-long", std::string(100, 'v')}});
    CgiEnvironment original = build(make_info(request));
    const std::vector<std::string> expected = original.variables();

    CgiEnvironment moved(std::move(original));
    EXPECT_EQ(walk(moved.envp()), expected);
    EXPECT_EQ(original.envp()[0], nullptr);  // NOLINT(bugprone-use-after-move): defined empty

    CgiEnvironment assigned;
    assigned = std::move(moved);
    EXPECT_EQ(walk(assigned.envp()), expected);
    EXPECT_EQ(assigned.variables(), expected);
    EXPECT_EQ(moved.envp()[0], nullptr);  // NOLINT(bugprone-use-after-move)
}

// The array is what execve() takes: run /usr/bin/env with it and compare.
TEST(CgiEnvironment, ExecveReceivesExactlyTheseVariables) {
    Request request = parse_request(
        "POST /cgi-bin/env.sh?x=1 HTTP/1.1\r\nHost: h\r\nProxy: http://evil\r\n"
        "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc");
    CgiEnvironment env = build(make_info(request));

    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    char program[] = "/usr/bin/env";
    char* argv[] = {program, nullptr};
    char* const* envp = env.envp();  // read before fork, as the server does
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        ::execve(program, argv, envp);
        ::_exit(127);
    }
    ::close(out[1]);
    std::string output;
    char buffer[4096];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) output.append(buffer, n);
    ::close(out[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

    std::vector<std::string> lines;
    for (std::size_t start = 0, end; (end = output.find('\n', start)) != std::string::npos;
         start = end + 1)
        lines.push_back(output.substr(start, end - start));
    std::vector<std::string> expected = env.variables();
    std::sort(lines.begin(), lines.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(lines, expected);
}

// ---------------------------------------------------------------- limits and errors

// Headers "x-h0" ... that, with the meta-variables, make exactly `total` variables.
Request request_with_variable_count(const CgiRequestInfo& probe_info, std::size_t total) {
    std::size_t meta = build(probe_info).size();
    Request request = make_request({});
    for (std::size_t i = 0; meta + i < total; ++i)
        request.headers.push_back({"x-h" + std::to_string(i), "v"});
    return request;
}

TEST(CgiEnvironment, AtMost128Variables) {
    Request empty = make_request({});
    CgiRequestInfo probe = make_info(empty);

    Request at_limit = request_with_variable_count(probe, 128);
    CgiEnvironment env;
    EXPECT_TRUE(env.build(make_info(at_limit))) << env.error_reason();
    EXPECT_EQ(env.size(), 128u);

    Request over = request_with_variable_count(probe, 129);
    EXPECT_FALSE(env.build(make_info(over)));
    EXPECT_EQ(env.error(), Error::kTooManyVariables);
    EXPECT_EQ(env.error_status(), 431);  // the client's header fields did it
    EXPECT_NE(env.error_reason().find("128"), std::string::npos) << env.error_reason();
    EXPECT_EQ(env.size(), 0u);
    EXPECT_EQ(env.envp()[0], nullptr);  // never a half-built list
}

TEST(CgiEnvironment, RepeatedFieldsCountOnce) {
    Request request = make_request({});
    for (int i = 0; i < 500; ++i) request.headers.push_back({"accept", "a"});
    CgiEnvironment env = build(make_info(request));
    EXPECT_EQ(names_with_prefix(env, "HTTP_").size(), 1u);
}

TEST(CgiEnvironment, AtMost64KiBInAll) {
    Request small = make_request({{"x-big", "v"}});
    CgiEnvironment probe = build(make_info(small));
    // Make the total exactly 64 KiB, then one byte more.
    std::size_t room = 64 * 1024 - probe.bytes();
    Request exact = make_request({{"x-big", std::string(1 + room, 'v')}});
    CgiEnvironment env;
    EXPECT_TRUE(env.build(make_info(exact))) << env.error_reason();
    EXPECT_EQ(env.bytes(), 64u * 1024);

    Request over = make_request({{"x-big", std::string(2 + room, 'v')}});
    EXPECT_FALSE(env.build(make_info(over)));
    EXPECT_EQ(env.error(), Error::kTooLarge);
    EXPECT_EQ(env.error_status(), 431);
    EXPECT_EQ(env.envp()[0], nullptr);
}

TEST(CgiEnvironment, ManyMediumHeadersHitTheByteLimit) {
    Request request = make_request({});
    for (int i = 0; i < 20; ++i)
        request.headers.push_back({"x-h" + std::to_string(i), std::string(4000, 'v')});
    CgiEnvironment env;
    EXPECT_FALSE(env.build(make_info(request)));
    EXPECT_EQ(env.error(), Error::kTooLarge);
}

TEST(CgiEnvironment, MetaVariablesOverTheLimitAre500) {
    Request request = make_request({{"host", "h"}});
    CgiEnvironment few(CgiEnvironmentLimits{.max_variables = 5, .max_bytes = 64 * 1024});
    EXPECT_FALSE(few.build(make_info(request)));
    EXPECT_EQ(few.error(), Error::kTooManyVariables);
    EXPECT_EQ(few.error_status(), 500);  // the server's own variables: not the client's fault

    CgiRequestInfo info = make_info(request);
    info.path_translated = std::string(70 * 1024, 'p');
    CgiEnvironment env;
    EXPECT_FALSE(env.build(info));
    EXPECT_EQ(env.error(), Error::kTooLarge);
    EXPECT_EQ(env.error_status(), 500);
}

TEST(CgiEnvironment, ANulByteIsRefusedNotTruncated) {
    Request request = make_request({{"x-nul", std::string("a\0b", 3)}});
    CgiEnvironment env;
    EXPECT_FALSE(env.build(make_info(request)));
    EXPECT_EQ(env.error(), Error::kNulByte);
    EXPECT_EQ(env.error_status(), 500);
    EXPECT_EQ(env.envp()[0], nullptr);

    Request clean = make_request({});
    CgiRequestInfo info = make_info(clean);
    info.path_info = std::string("/a\0/b", 5);
    EXPECT_FALSE(env.build(info));
    EXPECT_EQ(env.error(), Error::kNulByte);
    EXPECT_NE(env.error_reason().find("PATH_INFO"), std::string::npos) << env.error_reason();
}

TEST(CgiEnvironment, ASuccessfulBuildClearsAnEarlierError) {
    Request bad = make_request({{"x-nul", std::string("\0", 1)}});
    Request good = make_request({});
    CgiEnvironment env;
    EXPECT_FALSE(env.build(make_info(bad)));
    EXPECT_TRUE(env.build(make_info(good)));
    EXPECT_EQ(env.error(), Error::kNone);
    EXPECT_EQ(env.error_status(), 0);
    EXPECT_TRUE(env.error_reason().empty());
}

}  // namespace
