// Unit tests for RequestParser: incremental feeding at every split point,
// pipelining, framing (Content-Length, chunked), limits and every malformed form.
#include "request_parser.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Status = RequestParser::Status;

// A request with a bit of everything: mixed-case names, padded values, a body.
const std::string kPostWithBody =
    "POST /upload/a%20b?x=1 HTTP/1.1\r\n"
    "Host: example.test\r\n"
    "X-Mixed-Case:   padded value \t\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world";

// Chunked, with extensions (quoted and bare, with BWS), upper/lower hex and trailers.
const std::string kChunked =
    "POST /chunks HTTP/1.1\r\n"
    "Host: h\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value;flag\r\n"
    "hello\r\n"
    "1 ; ext=\"quoted;thing\"\r\n"
    " \r\n"
    "A\r\n"
    "0123456789\r\n"
    "b\r\n"
    "abcdefghijk\r\n"
    "0;last=1\r\n"
    "Trailer-One: x\r\n"
    "Trailer-Two: y\r\n"
    "\r\n";
const std::string kChunkedBody = "hello 0123456789abcdefghijk";

// Feeds all of `text` at once and checks the parser consumed exactly as much as it should.
RequestParser parse(std::string_view text) {
    RequestParser parser;
    std::size_t used = parser.feed(text);
    if (parser.status() == Status::kComplete) {
        EXPECT_EQ(used, text.size()) << text;
    }
    EXPECT_LE(used, text.size());
    return parser;
}

// The status the parser reports for `text` fed at once: 0 for a complete
// request, -1 when it still wants more, else the HTTP error status.
int outcome(std::string_view text) {
    RequestParser parser = parse(text);
    switch (parser.status()) {
        case Status::kComplete: return 0;
        case Status::kNeedMore: return -1;
        case Status::kError: return parser.error_status();
    }
    return -2;
}

// A GET with a Host header and `fields` (each "Name: value\r\n").
std::string get_with(std::string_view fields) {
    return "GET / HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n";
}

void expect_same_request(const Request& expected, const Request& actual,
                         const std::string& context) {
    SCOPED_TRACE(context);
    EXPECT_EQ(expected.method, actual.method);
    EXPECT_EQ(expected.target, actual.target);
    EXPECT_EQ(expected.version_minor, actual.version_minor);
    EXPECT_EQ(expected.body, actual.body);
    EXPECT_EQ(expected.keep_alive, actual.keep_alive);
    ASSERT_EQ(expected.headers.size(), actual.headers.size());
    for (std::size_t i = 0; i < expected.headers.size(); ++i) {
        EXPECT_EQ(expected.headers[i].name, actual.headers[i].name);
        EXPECT_EQ(expected.headers[i].value, actual.headers[i].value);
    }
}

// Feeding `text` in two pieces, split at every possible point, and byte by
// byte, must give the same request as feeding it at once.
void expect_split_invariant(const std::string& text) {
    RequestParser whole = parse(text);
    ASSERT_EQ(whole.status(), Status::kComplete) << whole.error_reason();

    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        RequestParser parser;
        std::string_view first = std::string_view(text).substr(0, cut);
        std::string_view second = std::string_view(text).substr(cut);
        std::size_t used = parser.feed(first);
        EXPECT_EQ(used, first.size()) << "cut " << cut;
        if (cut < text.size()) {
            EXPECT_EQ(parser.status(), Status::kNeedMore) << "cut " << cut;
        }
        used += parser.feed(second);
        EXPECT_EQ(used, text.size()) << "cut " << cut;
        ASSERT_EQ(parser.status(), Status::kComplete) << "cut " << cut << ": "
                                                      << parser.error_reason();
        expect_same_request(whole.request(), parser.request(), "cut " + std::to_string(cut));
    }

    RequestParser bytewise;
    for (std::size_t i = 0; i < text.size(); ++i) {
        ASSERT_EQ(bytewise.status(), Status::kNeedMore) << "byte " << i;
        ASSERT_EQ(bytewise.feed(std::string_view(text).substr(i, 1)), 1u) << "byte " << i;
    }
    ASSERT_EQ(bytewise.status(), Status::kComplete) << bytewise.error_reason();
    expect_same_request(whole.request(), bytewise.request(), "byte by byte");
}

// ---------------------------------------------------------------- valid requests

TEST(RequestParser, ParsesASimpleGet) {
    RequestParser parser = parse("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    const Request& r = parser.request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/index.html");
    EXPECT_EQ(r.version_minor, 1);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].name, "host");
    EXPECT_EQ(r.headers[0].value, "localhost");
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(r.keep_alive);
    ASSERT_NE(r.header("host"), nullptr);
    EXPECT_EQ(*r.header("host"), "localhost");
    EXPECT_EQ(r.header("content-length"), nullptr);
}

TEST(RequestParser, KeepsTheTargetAsSentAndTheMethodCaseSensitive) {
    RequestParser parser = parse("get /a%20b?q=%2F&r=1 HTTP/1.0\r\n\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().method, "get");  // a valid token; the handler answers 501
    EXPECT_EQ(parser.request().target, "/a%20b?q=%2F&r=1");
    EXPECT_EQ(parser.request().version_minor, 0);
}

TEST(RequestParser, SameRequestAtEverySplitPointAndByteByByte) {
    expect_split_invariant(kPostWithBody);
}

TEST(RequestParser, SameChunkedRequestAtEverySplitPointAndByteByByte) {
    expect_split_invariant(kChunked);
}

TEST(RequestParser, SameRequestWithBareLfAtEverySplitPoint) {
    expect_split_invariant("GET /x HTTP/1.1\nHost: h\nAccept: */*\n\n");
}

TEST(RequestParser, ExampleFromTheHeaderComment) {
    RequestParser parser;
    EXPECT_EQ(parser.feed("GET / HT"), 8u);
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_EQ(parser.feed("TP/1.1\r\nHo"), 10u);
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_EQ(parser.feed("st: a\r\n\r\nGET"), 9u);  // 7 + 2 bytes; "GET" is left over
    EXPECT_EQ(parser.status(), Status::kComplete);
}

TEST(RequestParser, EmptyFeedConsumesNothing) {
    RequestParser parser;
    EXPECT_EQ(parser.feed(""), 0u);
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_FALSE(parser.started());
}

TEST(RequestParser, ContentLengthBody) {
    RequestParser parser = parse(kPostWithBody);
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().method, "POST");
    EXPECT_EQ(parser.request().target, "/upload/a%20b?x=1");
    EXPECT_EQ(parser.request().body, "hello world");
}

TEST(RequestParser, ContentLengthZeroCompletesAtTheEmptyLine) {
    RequestParser parser = parse(get_with("Content-Length: 0\r\n"));
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_TRUE(parser.request().body.empty());
}

TEST(RequestParser, WaitsForTheWholeBody) {
    RequestParser parser;
    std::string head = get_with("Content-Length: 5\r\n");
    EXPECT_EQ(parser.feed(head + "abc"), head.size() + 3);
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_EQ(parser.feed("de"), 2u);
    ASSERT_EQ(parser.status(), Status::kComplete);
    EXPECT_EQ(parser.request().body, "abcde");
}

TEST(RequestParser, DuplicateIdenticalContentLengthIsAccepted) {
    RequestParser parser = parse(get_with("Content-Length: 3\r\nContent-Length: 3\r\n") + "abc");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body, "abc");
}

TEST(RequestParser, ChunkedBodyWithExtensionsAndTrailers) {
    RequestParser parser = parse(kChunked);
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body, kChunkedBody);
    // Trailer fields are read and ignored, not merged into the header section.
    EXPECT_EQ(parser.request().header("trailer-one"), nullptr);
    EXPECT_EQ(parser.request().header("trailer-two"), nullptr);
}

TEST(RequestParser, ChunkedWithoutTrailersAndCaseInsensitiveCoding) {
    RequestParser parser = parse(get_with("Transfer-Encoding: Chunked\r\n") +
                                 "3\r\nabc\r\n0\r\n\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body, "abc");
}

TEST(RequestParser, ChunkedWithBareLfLineEnds) {
    RequestParser parser =
        parse("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body, "abc");
}

TEST(RequestParser, BareLfLineEndings) {
    RequestParser parser = parse("GET /lf HTTP/1.1\nHost: h\nX-A: b\n\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().target, "/lf");
    ASSERT_EQ(parser.request().headers.size(), 2u);
    EXPECT_EQ(parser.request().headers[1].name, "x-a");
    EXPECT_EQ(parser.request().headers[1].value, "b");
}

TEST(RequestParser, MixedCrlfAndBareLf) {
    RequestParser parser = parse("GET / HTTP/1.1\r\nHost: h\nX-A: b\r\n\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().headers.size(), 2u);
}

TEST(RequestParser, LeadingEmptyLinesAreIgnored) {
    RequestParser parser = parse("\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().method, "GET");
}

TEST(RequestParser, LeadingEmptyLinesDoNotCountAsAStartedRequest) {
    RequestParser parser;
    EXPECT_EQ(parser.feed("\r\n\r\n\n"), 5u);
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_FALSE(parser.started());
    parser.feed("G");
    EXPECT_TRUE(parser.started());
}

TEST(RequestParser, EightLeadingEmptyLinesAreFineButNotNine) {
    std::string request = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string eight, nine;
    for (int i = 0; i < 8; ++i) eight += "\r\n";
    nine = eight + "\r\n";
    EXPECT_EQ(outcome(eight + request), 0);
    EXPECT_EQ(outcome(nine + request), 400);
}

// ---------------------------------------------------------------- pipelining

TEST(RequestParser, PipelinedRequestsLeaveTheNextRequestsBytes) {
    const std::string first = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string second = "GET /two HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    const std::string stream = first + second;

    RequestParser parser;
    std::size_t used = parser.feed(stream);
    EXPECT_EQ(used, first.size());
    ASSERT_EQ(parser.status(), Status::kComplete);
    EXPECT_EQ(parser.request().target, "/one");
    EXPECT_EQ(parser.feed(std::string_view(stream).substr(used)), 0u)
        << "a complete parser takes no more bytes until reset()";

    parser.reset();
    EXPECT_EQ(parser.feed(std::string_view(stream).substr(used)), second.size());
    ASSERT_EQ(parser.status(), Status::kComplete);
    EXPECT_EQ(parser.request().target, "/two");
    EXPECT_FALSE(parser.request().keep_alive);
}

TEST(RequestParser, PipelinedAfterContentLengthAndChunkedBodies) {
    const std::string a = kPostWithBody;
    const std::string b = kChunked;
    const std::string c = "HEAD /three HTTP/1.0\r\n\r\n";
    const std::string stream = a + b + c;

    RequestParser parser;
    std::string_view rest = stream;
    std::vector<std::string> targets, bodies;
    while (!rest.empty()) {
        std::size_t used = parser.feed(rest);
        ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
        targets.push_back(parser.request().target);
        bodies.push_back(parser.request().body);
        rest.remove_prefix(used);
        parser.reset();
    }
    EXPECT_EQ(targets, (std::vector<std::string>{"/upload/a%20b?x=1", "/chunks", "/three"}));
    EXPECT_EQ(bodies, (std::vector<std::string>{"hello world", kChunkedBody, ""}));
}

TEST(RequestParser, PipelinedRequestsSplitByteByByte) {
    const std::string stream = kPostWithBody + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    RequestParser parser;
    std::vector<std::string> targets;
    for (char c : stream) {
        ASSERT_EQ(parser.feed(std::string_view(&c, 1)), 1u);
        if (parser.status() == Status::kComplete) {
            targets.push_back(parser.request().target);
            parser.reset();
        }
        ASSERT_NE(parser.status(), Status::kError) << parser.error_reason();
    }
    EXPECT_EQ(targets, (std::vector<std::string>{"/upload/a%20b?x=1", "/next"}));
}

TEST(RequestParser, ResetAllowsReuseAfterAnError) {
    RequestParser parser;
    parser.feed("BROKEN\r\n");
    ASSERT_EQ(parser.status(), Status::kError);
    parser.reset();
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_EQ(parser.error_status(), 0);
    EXPECT_TRUE(parser.error_reason().empty());
    EXPECT_FALSE(parser.started());
    parser.feed("GET /again HTTP/1.0\r\n\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().target, "/again");
    EXPECT_TRUE(parser.request().headers.empty());
}

TEST(RequestParser, ResetForgetsHeadersAndBody) {
    RequestParser parser;
    parser.feed(kPostWithBody);
    ASSERT_EQ(parser.status(), Status::kComplete);
    parser.reset();
    parser.feed("GET / HTTP/1.1\r\nHost: other\r\n\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete);
    ASSERT_EQ(parser.request().headers.size(), 1u);
    EXPECT_EQ(*parser.request().header("host"), "other");
    EXPECT_TRUE(parser.request().body.empty());
    EXPECT_EQ(parser.request().method, "GET");
}

// ---------------------------------------------------------------- header fields

TEST(RequestParser, HeaderNamesAreLowerCasedAndValuesTrimmed) {
    RequestParser parser = parse(
        "GET / HTTP/1.1\r\n"
        "HOST: h\r\n"
        "Content-TYPE:text/plain\r\n"
        "X-Spaces: \t  inner  spaces stay \t \r\n"
        "X-Empty:\r\n"
        "X-Only-Ws:  \t \r\n"
        "X-Obs-Text: caf\xc3\xa9\r\n"
        "\r\n");
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    const Request& r = parser.request();
    ASSERT_EQ(r.headers.size(), 6u);
    EXPECT_EQ(r.headers[0].name, "host");
    EXPECT_EQ(r.headers[1].name, "content-type");
    EXPECT_EQ(r.headers[1].value, "text/plain");
    EXPECT_EQ(r.headers[2].name, "x-spaces");
    EXPECT_EQ(r.headers[2].value, "inner  spaces stay");
    EXPECT_EQ(r.headers[3].value, "");
    EXPECT_EQ(r.headers[4].value, "");
    EXPECT_EQ(r.headers[5].value, "caf\xc3\xa9");
    ASSERT_NE(r.header("content-type"), nullptr);
    EXPECT_EQ(*r.header("content-type"), "text/plain");
}

TEST(RequestParser, RepeatedFieldsAreKeptInOrderAndHeaderReturnsTheFirst) {
    RequestParser parser = parse(get_with("Accept: a\r\naccept: b\r\n"));
    ASSERT_EQ(parser.status(), Status::kComplete);
    ASSERT_EQ(parser.request().headers.size(), 3u);
    EXPECT_EQ(*parser.request().header("accept"), "a");
    EXPECT_EQ(parser.request().headers[2].value, "b");
}

// ---------------------------------------------------------------- keep-alive

struct KeepAliveCase {
    const char* request;
    bool keep_alive;
};

TEST(RequestParser, KeepAliveSemantics) {
    const KeepAliveCase cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nConnection: close\r\n\r\n",
         false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: ,, close ,\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n\r\n", true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: TE, keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", false},
    };
    for (const auto& c : cases) {
        RequestParser parser = parse(c.request);
        ASSERT_EQ(parser.status(), Status::kComplete) << c.request << parser.error_reason();
        EXPECT_EQ(parser.request().keep_alive, c.keep_alive) << c.request;
    }
}

// ---------------------------------------------------------------- Host

TEST(RequestParser, HostRules) {
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n\r\n"), 400);                      // 1.1 needs Host
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);  // two Hosts
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400);  // even equal
    EXPECT_EQ(outcome("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);  // 1.0 too
    EXPECT_EQ(outcome("GET / HTTP/1.0\r\n\r\n"), 0);                        // 1.0 without: fine
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 0);  // empty Host is allowed (§3.2)
}

// ---------------------------------------------------------------- limits

// "GET /aaaa... HTTP/1.1" exactly `length` bytes long, without its line end.
std::string request_line_of(std::size_t length) {
    const std::string fixed = "GET / HTTP/1.1";
    std::string line = "GET /" + std::string(length - fixed.size(), 'a') + " HTTP/1.1";
    EXPECT_EQ(line.size(), length);
    return line;
}

TEST(RequestParser, RequestLineOfExactly8KiBIsAccepted) {
    // The request line (RFC 9112 §3) does not include its CRLF; the contract
    // says "longer than 8 KiB" is 414, so 8192 bytes plus a line end must pass
    // whichever line end is used.
    std::string line = request_line_of(8192);
    EXPECT_EQ(outcome(line + "\nHost: h\n\n"), 0);
    EXPECT_EQ(outcome(line + "\r\nHost: h\r\n\r\n"), 0);
}

TEST(RequestParser, RequestLineJustOver8KiBIs414) {
    std::string line = request_line_of(8193);
    EXPECT_EQ(outcome(line + "\r\nHost: h\r\n\r\n"), 414);
    EXPECT_EQ(outcome(line + "\nHost: h\n\n"), 414);
}

TEST(RequestParser, LongRequestLineIsRefusedBeforeItsEnd) {
    // No line end at all: the parser must not buffer forever. (8194: over
    // the limit even if a parser keeps one byte of room for a CR.)
    RequestParser parser;
    std::string garbage(8194, 'a');
    parser.feed(garbage);
    EXPECT_EQ(parser.status(), Status::kError);
    EXPECT_EQ(parser.error_status(), 414);

    RequestParser bytewise;
    for (std::size_t i = 0; i < 20000 && bytewise.status() == Status::kNeedMore; ++i)
        bytewise.feed("a");
    EXPECT_EQ(bytewise.error_status(), 414);
}

// Header fields "X-Fill: aaa...\r\n" making the header section (field lines,
// their line ends and the final empty line) exactly `total` bytes long.
std::string header_section_of(std::size_t total) {
    std::string fields = "Host: h\r\n";
    const std::size_t per_line = 1000;  // each filler line is 1000 bytes with its CRLF
    while (total - 2 - fields.size() > per_line + 20)
        fields += "X-Fill: " + std::string(per_line - 10, 'a') + "\r\n";
    std::size_t rest = total - 2 - fields.size();  // last line, CRLF included
    fields += "X-Last: " + std::string(rest - 10, 'b') + "\r\n";
    std::string section = fields + "\r\n";
    EXPECT_EQ(section.size(), total);
    return section;
}

TEST(RequestParser, HeaderSectionOfExactly16KiBIsAccepted) {
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n" + header_section_of(16384)), 0);
}

TEST(RequestParser, HeaderSectionJustOver16KiBIs431) {
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n" + header_section_of(16385)), 431);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n" + header_section_of(16386)), 431);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n" + header_section_of(17000)), 431);
}

TEST(RequestParser, HeaderSectionLimitHoldsAfterALineThatEndsOneByteOver) {
    // Field lines that add up to 16385 bytes, then one more very long line:
    // the limit must still hold for it (the remaining budget must not wrap).
    std::string section = header_section_of(16387);  // fields are 16385 bytes
    section.resize(section.size() - 2);             // drop the empty line
    std::string request =
        "GET / HTTP/1.1\r\n" + section + "X-Huge: " + std::string(100000, 'c') + "\r\n\r\n";
    EXPECT_EQ(outcome(request), 431);
}

TEST(RequestParser, TrailerLinesAreBoundedAfterAHeaderSectionOneByteOver) {
    // The header section ends at 16385 bytes (its empty line included); a
    // long trailer line must not be buffered without limit.
    std::string section = header_section_of(16385);
    section.insert(0, "Transfer-Encoding: chunked\r\n");
    section.erase(section.find("X-Fill: ") + 8, 28);  // keep the total at 16385
    ASSERT_EQ(section.size(), 16385u);
    std::string request = "POST / HTTP/1.1\r\n" + section + "0\r\nX-T: " +
                          std::string(100000, 'd') + "\r\n\r\n";
    EXPECT_NE(outcome(request), 0);
}

TEST(RequestParser, OneLongHeaderLineWithoutItsEndIs431) {
    RequestParser parser;
    parser.feed("GET / HTTP/1.1\r\nX-Long: " + std::string(20000, 'a'));
    EXPECT_EQ(parser.status(), Status::kError);
    EXPECT_EQ(parser.error_status(), 431);
}

std::string header_lines(int count) {
    std::string fields = "Host: h\r\n";
    for (int i = 1; i < count; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    return fields;
}

TEST(RequestParser, HundredHeaderLinesAreAcceptedButNotHundredAndOne) {
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n" + header_lines(100) + "\r\n"), 0);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n" + header_lines(101) + "\r\n"), 431);
}

TEST(RequestParser, BodyOfExactly1MiBIsAccepted) {
    std::string body(1024 * 1024, 'z');
    RequestParser parser = parse(get_with("Content-Length: 1048576\r\n") + body);
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body.size(), body.size());
}

TEST(RequestParser, BodyOver1MiBByContentLengthIs413) {
    // Refused at the end of the header section, before any body byte.
    EXPECT_EQ(outcome(get_with("Content-Length: 1048577\r\n")), 413);
    EXPECT_EQ(outcome(get_with("Content-Length: 99999999999999999999999\r\n")), 413);
}

TEST(RequestParser, ChunkedBodyOfExactly1MiBIsAccepted) {
    std::string half(512 * 1024, 'q');
    std::string request = get_with("Transfer-Encoding: chunked\r\n") + "80000\r\n" + half +
                           "\r\n80000\r\n" + half + "\r\n0\r\n\r\n";
    RequestParser parser = parse(request);
    ASSERT_EQ(parser.status(), Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body.size(), 1024u * 1024u);
}

TEST(RequestParser, BodyOver1MiBByChunksIs413) {
    std::string half(512 * 1024, 'q');
    std::string request = get_with("Transfer-Encoding: chunked\r\n") + "80000\r\n" + half +
                          "\r\n80000\r\n" + half + "\r\n1\r\n";
    EXPECT_EQ(outcome(request), 413);
    // One huge chunk size is refused at once, before its data.
    EXPECT_EQ(outcome(get_with("Transfer-Encoding: chunked\r\n") + "100001\r\n"), 413);
    EXPECT_EQ(outcome(get_with("Transfer-Encoding: chunked\r\n") + "fffffffffffffff\r\n"), 413);
}

// ---------------------------------------------------------------- malformed

struct BadCase {
    std::string request;
    int status;
};

void expect_errors(const std::vector<BadCase>& cases) {
    for (const auto& c : cases) {
        RequestParser parser = parse(c.request);
        EXPECT_EQ(parser.status(), Status::kError) << "request: " << c.request;
        EXPECT_EQ(parser.error_status(), c.status) << "request: " << c.request;
        EXPECT_FALSE(parser.error_reason().empty()) << "request: " << c.request;
    }
}

TEST(RequestParser, MalformedRequestLinesAre400) {
    expect_errors({
        {"GET HTTP/1.1\r\nHost: h\r\n\r\n", 400},              // missing target
        {"GET\r\nHost: h\r\n\r\n", 400},                       // method only
        {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},           // two spaces
        {"GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400},           // two spaces before version
        {"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},           // trailing space
        {" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},           // leading space
        {"GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n", 400},          // tabs are not SP
        {"GET / extra HTTP/1.1\r\nHost: h\r\n\r\n", 400},      // three words before version
        {"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},            // not a token
        {"GET /a\x01z HTTP/1.1\r\nHost: h\r\n\r\n", 400},      // control byte in target
        {"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},  // raw non-ASCII in target
    });
}

TEST(RequestParser, BadVersionFormsAre400) {
    expect_errors({
        {"GET / HTTP/1\r\n\r\n", 400},
        {"GET / HTTP/1.\r\n\r\n", 400},
        {"GET / HTTP/1.10\r\n\r\n", 400},
        {"GET / HTTP/1.1.1\r\n\r\n", 400},
        {"GET / HTTP/11\r\n\r\n", 400},
        {"GET / HTTP/11.1\r\n\r\n", 400},
        {"GET / http/1.1\r\n\r\n", 400},
        {"GET / HTTPS/1.1\r\n\r\n", 400},
        {"GET / HTTP 1.1\r\n\r\n", 400},
        {"GET / HTTP/a.b\r\n\r\n", 400},
        {"GET / HTTP/1,1\r\n\r\n", 400},
        {"GET / \r\n\r\n", 400},
    });
}

TEST(RequestParser, UnsupportedVersionsAre505) {
    expect_errors({
        {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
        {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
        {"GET / HTTP/0.9\r\n\r\n", 505},
        {"GET / HTTP/9.9\r\n\r\n", 505},
    });
}

TEST(RequestParser, BareCrIs400) {
    expect_errors({
        {"GET / HTTP/1.1\rHost: h\r\n\r\n", 400},
        {"GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", 400},
    });
}

TEST(RequestParser, MalformedHeaderLinesAre400) {
    expect_errors({
        {get_with("X-A: b\r\n continued\r\n"), 400},   // obs-fold with SP
        {get_with("X-A: b\r\n\tcontinued\r\n"), 400},  // obs-fold with HTAB
        {"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},   // whitespace before the first field
        {get_with("X-A : b\r\n"), 400},                // space before colon
        {get_with("X-A\t: b\r\n"), 400},               // tab before colon
        {get_with("X-A b\r\n"), 400},                  // no colon
        {get_with(": b\r\n"), 400},                    // empty name
        {get_with("X(A): b\r\n"), 400},                // not a token
        {get_with("X-A: b\x01" "c\r\n"), 400},         // control char in value
        {get_with("X-A: b\x7f\r\n"), 400},             // DEL in value
        {get_with(std::string("X-A: b\0c\r\n", 10)), 400},  // NUL in value
    });
}

TEST(RequestParser, BadContentLengthIs400) {
    expect_errors({
        {get_with("Content-Length: abc\r\n"), 400},
        {get_with("Content-Length: -1\r\n"), 400},
        {get_with("Content-Length: +5\r\n"), 400},
        {get_with("Content-Length: 0x10\r\n"), 400},
        {get_with("Content-Length: 1 1\r\n"), 400},
        {get_with("Content-Length: 1,1\r\n"), 400},
        {get_with("Content-Length:\r\n"), 400},
        {get_with("Content-Length: 3\r\nContent-Length: 4\r\n"), 400},  // duplicate, different
    });
}

TEST(RequestParser, ContentLengthWithTransferEncodingIs400) {
    expect_errors({
        {get_with("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), 400},
        {get_with("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"), 400},
    });
}

TEST(RequestParser, UnknownTransferCodingIs501) {
    expect_errors({
        {get_with("Transfer-Encoding: gzip\r\n"), 501},
        {get_with("Transfer-Encoding: gzip, chunked\r\n"), 501},
    });
}

TEST(RequestParser, BadChunksAre400) {
    const std::string head = get_with("Transfer-Encoding: chunked\r\n");
    expect_errors({
        {head + "zz\r\n", 400},
        {head + "\r\n", 400},                       // empty size
        {head + ";ext\r\n", 400},                   // extension without a size
        {head + "-1\r\n", 400},
        {head + "0x5\r\n", 400},
        {head + "1000000000000000\r\n", 400},       // 16 hex digits
        {head + "3\r\nabcd\r\n0\r\n\r\n", 400},     // data longer than its size
        {head + "3\r\nabc\r\n0\r\nno colon\r\n\r\n", 400},  // malformed trailer
        {head + std::string(2000, '1'), 400},       // size line never ends
    });
}

TEST(RequestParser, ErrorIsStickyAndFeedConsumesNothingMore) {
    RequestParser parser;
    parser.feed("GET / HTTP/1.1\r\nHost a\r\n");
    ASSERT_EQ(parser.status(), Status::kError);
    const int status = parser.error_status();
    const std::string reason = parser.error_reason();
    EXPECT_EQ(status, 400);

    EXPECT_EQ(parser.feed("\r\n"), 0u);
    EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0u);
    EXPECT_EQ(parser.status(), Status::kError);
    EXPECT_EQ(parser.error_status(), status);
    EXPECT_EQ(parser.error_reason(), reason);
}

TEST(RequestParser, ErrorStopsConsumingAtTheBadLine) {
    RequestParser parser;
    const std::string bad = "GET / HTTP/1.1\r\nHost a\r\n";
    EXPECT_LE(parser.feed(bad + "X: y\r\n\r\n"), bad.size() + 8);
    EXPECT_EQ(parser.status(), Status::kError);
}

}  // namespace
