// Unit tests for CgiResponseParser: the four response types of RFC 3875 §6.2,
// feeding at every split point, the body left over, every malformed form,
// the limits, and CR/LF smuggling refused.
#include "cgi_response.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Status = CgiResponseParser::Status;
using Kind = CgiResponseKind;
using Fields = std::vector<std::pair<std::string, std::string>>;

struct Outcome {
    Status status;
    std::size_t consumed;
    CgiResponseHead head;
    std::string error;
};

// Feeds `output` in one piece, then says the program closed stdout when
// `eof` is set.
Outcome parse(std::string_view output, bool eof = false) {
    CgiResponseParser parser;
    std::size_t consumed = parser.feed(output);
    if (eof) parser.end_of_output();
    EXPECT_LE(consumed, output.size());
    return {parser.status(), consumed, parser.head(), parser.error_reason()};
}

// Feeds `output` in pieces cut at `cuts` (the way a pipe might deliver it),
// offering after each piece whatever the parser has not consumed yet, as the
// server does with its read buffer.
Outcome parse_in_pieces(std::string_view output, const std::vector<std::size_t>& cuts) {
    CgiResponseParser parser;
    std::size_t consumed = 0, delivered = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(output.size());
    for (std::size_t end : ends) {
        delivered = end;
        if (parser.status() != Status::kNeedMore) break;
        // The parser keeps a partial line itself, so it always takes
        // everything it is offered until the section ends.
        std::size_t used = parser.feed(output.substr(consumed, delivered - consumed));
        consumed += used;
    }
    return {parser.status(), consumed, parser.head(), parser.error_reason()};
}

bool same_head(const CgiResponseHead& a, const CgiResponseHead& b) {
    return a.kind == b.kind && a.status == b.status && a.reason == b.reason &&
           a.content_type == b.content_type && a.location == b.location &&
           a.content_length == b.content_length && a.headers == b.headers &&
           a.dropped == b.dropped;
}

// Every way of cutting `output` in two, and one byte at a time, must give
// the same answer as feeding it whole.
void expect_same_at_every_split(std::string_view output) {
    Outcome whole = parse(output);
    for (std::size_t cut = 0; cut <= output.size(); ++cut) {
        Outcome split = parse_in_pieces(output, {cut});
        ASSERT_EQ(split.status, whole.status) << "cut at " << cut;
        ASSERT_EQ(split.consumed, whole.consumed) << "cut at " << cut;
        ASSERT_TRUE(same_head(split.head, whole.head)) << "cut at " << cut;
        ASSERT_EQ(split.error, whole.error) << "cut at " << cut;
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < output.size(); ++i) every_byte.push_back(i);
    Outcome bytes = parse_in_pieces(output, every_byte);
    EXPECT_EQ(bytes.status, whole.status);
    EXPECT_EQ(bytes.consumed, whole.consumed);
    EXPECT_TRUE(same_head(bytes.head, whole.head));
}

Outcome expect_error(std::string_view output, std::string_view reason_part = "") {
    Outcome outcome = parse(output);
    EXPECT_EQ(outcome.status, Status::kError) << output;
    if (!reason_part.empty()) {
        EXPECT_NE(outcome.error.find(reason_part), std::string::npos)
            << "reason: " << outcome.error << "\noutput: " << output;
    }
    return outcome;
}

Outcome expect_complete(std::string_view output) {
    Outcome outcome = parse(output);
    EXPECT_EQ(outcome.status, Status::kComplete) << outcome.error << "\noutput: " << output;
    return outcome;
}

// ---------------------------------------------------------------- documents (§6.2.1)

TEST(CgiResponse, DocumentWithContentType) {
    const std::string head = "Content-Type: text/html; charset=utf-8\r\n\r\n";
    const std::string output = head + "<p>hello</p>\n";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.consumed, head.size());
    EXPECT_EQ(output.substr(outcome.consumed), "<p>hello</p>\n");  // the body
    EXPECT_EQ(outcome.head.kind, Kind::kDocument);
    EXPECT_EQ(outcome.head.status, 200);
    EXPECT_EQ(outcome.head.reason, "");
    EXPECT_EQ(outcome.head.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(outcome.head.location, "");
    EXPECT_FALSE(outcome.head.content_length.has_value());
    EXPECT_EQ(outcome.head.headers, (Fields{{"Content-Type", "text/html; charset=utf-8"}}));
    expect_same_at_every_split(output);
}

TEST(CgiResponse, BareLfLinesAsShellScriptsWriteThem) {
    const std::string output = "Content-Type: text/plain\n\nhello\n";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.consumed, 26u);
    EXPECT_EQ(output.substr(outcome.consumed), "hello\n");
    EXPECT_EQ(outcome.head.content_type, "text/plain");
    expect_same_at_every_split(output);
}

TEST(CgiResponse, MixedLineEnds) {
    const std::string output = "Content-Type: text/plain\r\nX-A: 1\n\r\nbody";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(output.substr(outcome.consumed), "body");
    EXPECT_EQ(outcome.head.headers, (Fields{{"Content-Type", "text/plain"}, {"X-A", "1"}}));
    expect_same_at_every_split(output);
}

TEST(CgiResponse, TheExampleInTheHeader) {
    CgiResponseParser parser;
    EXPECT_EQ(parser.feed("Status: 404 Not"), 15u);
    EXPECT_EQ(parser.status(), Status::kNeedMore);
    EXPECT_EQ(parser.feed(" Found\nContent-Type: text/plain\n\nNo"), 33u);
    EXPECT_EQ(parser.status(), Status::kComplete);
    EXPECT_EQ(parser.head().status, 404);
    EXPECT_EQ(parser.head().reason, "Not Found");
}

TEST(CgiResponse, StatusWithReason) {  // §6.3.3
    const std::string output = "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno such thing";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.head.kind, Kind::kDocument);
    EXPECT_EQ(outcome.head.status, 404);
    EXPECT_EQ(outcome.head.reason, "Not Found");
    // Status is for the server: it becomes the status line, not a field.
    EXPECT_EQ(outcome.head.headers, (Fields{{"Content-Type", "text/plain"}}));
    EXPECT_EQ(output.substr(outcome.consumed), "no such thing");
    expect_same_at_every_split(output);
}

TEST(CgiResponse, StatusForms) {
    struct Case {
        const char* value;
        int status;
        const char* reason;
    };
    for (Case c : {Case{"200", 200, ""}, Case{"204 No Content", 204, "No Content"},
                   Case{"418 I'm a teapot", 418, "I'm a teapot"}, Case{"599", 599, ""},
                   Case{"  503\tBusy  now ", 503, "Busy  now"}, Case{"302   Found", 302, "Found"},
                   Case{"500 ", 500, ""}}) {
        Outcome outcome =
            expect_complete(std::string("Status: ") + c.value + "\nContent-Type: text/plain\n\n");
        EXPECT_EQ(outcome.head.status, c.status) << c.value;
        EXPECT_EQ(outcome.head.reason, c.reason) << c.value;
    }
}

TEST(CgiResponse, StatusAloneIsABodylessDocument) {
    Outcome outcome = expect_complete("Status: 204 No Content\n\n");
    EXPECT_EQ(outcome.head.kind, Kind::kDocument);
    EXPECT_EQ(outcome.head.status, 204);
    EXPECT_EQ(outcome.head.content_type, "");
    EXPECT_TRUE(outcome.head.headers.empty());
}

TEST(CgiResponse, MalformedStatusIsRefused) {
    for (const char* value : {"", "abc", "4", "40", "4044", "404x", "404-Not", "-40", "+404",
                              "4O4", "099", "000", "100 Continue", "199", "600", "999 Nine",
                              "2OO OK"}) {
        expect_error(std::string("Status: ") + value + "\nContent-Type: text/plain\n\n",
                     "Status");
    }
}

TEST(CgiResponse, ExtraFieldsPassThroughInOrder) {  // §6.3.4
    const std::string output =
        "X-Powered-By: sh\n"
        "Content-Type: text/plain\n"
        "Set-Cookie: a=1; Path=/\n"
        "Cache-Control: no-store\n"
        "Set-Cookie: b=2\n"
        "x-lower-case: kept as written\n"
        "\n";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.head.headers, (Fields{{"X-Powered-By", "sh"},
                                            {"Content-Type", "text/plain"},
                                            {"Set-Cookie", "a=1; Path=/"},
                                            {"Cache-Control", "no-store"},
                                            {"Set-Cookie", "b=2"},
                                            {"x-lower-case", "kept as written"}}));
    expect_same_at_every_split(output);
}

TEST(CgiResponse, FieldNamesIgnoreCase) {
    Outcome outcome =
        expect_complete("content-TYPE: text/plain\nSTATUS: 201 Created\nlocation: http://x.test/\n\n");
    EXPECT_EQ(outcome.head.content_type, "text/plain");
    EXPECT_EQ(outcome.head.status, 201);
    EXPECT_EQ(outcome.head.location, "http://x.test/");
    // The server's spelling for the fields it understands.
    EXPECT_EQ(outcome.head.headers,
              (Fields{{"Content-Type", "text/plain"}, {"Location", "http://x.test/"}}));
}

TEST(CgiResponse, ValuesAreTrimmed) {
    Outcome outcome = expect_complete("Content-Type:\t  text/plain  \t\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n");
    EXPECT_EQ(outcome.head.content_type, "text/plain");
    EXPECT_EQ(outcome.head.headers,
              (Fields{{"Content-Type", "text/plain"}, {"X-Empty", ""}, {"X-Tab", "a\tb"}}));
}

TEST(CgiResponse, ContentLengthIsKeptApart) {
    const std::string output = "Content-Type: text/plain\nContent-Length: 5\n\nhello";
    Outcome outcome = expect_complete(output);
    ASSERT_TRUE(outcome.head.content_length.has_value());
    EXPECT_EQ(*outcome.head.content_length, 5u);
    // The server writes its own Content-Length from this value.
    EXPECT_EQ(outcome.head.headers, (Fields{{"Content-Type", "text/plain"}}));
    EXPECT_EQ(output.substr(outcome.consumed), "hello");
    expect_same_at_every_split(output);

    EXPECT_EQ(*expect_complete("Content-Type: a/b\nContent-Length: 0\n\n").head.content_length, 0u);
    EXPECT_EQ(*expect_complete("Content-Type: a/b\nContent-Length: 007\n\n").head.content_length, 7u);
}

TEST(CgiResponse, MalformedContentLengthIsRefused) {
    for (const char* value : {"", "-1", "+1", "5x", "0x10", "1 2", "1,1", "1.0",
                              "99999999999999999999999999"}) {
        expect_error(std::string("Content-Type: text/plain\nContent-Length: ") + value + "\n\n",
                     "Content-Length");
    }
    expect_error("Content-Type: a/b\nContent-Length: 5\nContent-Length: 5\n\n", "twice");
}

// ---------------------------------------------------------------- redirects (§6.2.2-4)

TEST(CgiResponse, LocalRedirect) {  // §6.2.2
    const std::string output = "Location: /index.html\n\n";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.head.kind, Kind::kLocalRedirect);
    EXPECT_EQ(outcome.head.location, "/index.html");
    EXPECT_TRUE(outcome.head.headers.empty());  // the server answers with /index.html instead
    EXPECT_EQ(outcome.consumed, output.size());
    expect_same_at_every_split(output);

    EXPECT_EQ(expect_complete("Location: /cgi-bin/env.sh/x?a=1&b=2\r\n\r\n").head.location,
              "/cgi-bin/env.sh/x?a=1&b=2");
}

TEST(CgiResponse, LocalRedirectIgnoresOtherFields) {
    // §6.2.2 forbids other fields; whatever the program sent is not part of
    // the answer, which is another resource's response.
    Outcome outcome =
        expect_complete("X-Extra: 1\nLocation: /a\nSet-Cookie: s=1\nContent-Length: 3\n\nabc");
    EXPECT_EQ(outcome.head.kind, Kind::kLocalRedirect);
    EXPECT_EQ(outcome.head.location, "/a");
    EXPECT_TRUE(outcome.head.headers.empty());
    EXPECT_FALSE(outcome.head.content_length.has_value());
}

TEST(CgiResponse, ClientRedirect) {  // §6.2.3
    const std::string output = "Location: https://example.org/new?x=1#top\r\n\r\n";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.head.kind, Kind::kClientRedirect);
    EXPECT_EQ(outcome.head.status, 302);
    EXPECT_EQ(outcome.head.location, "https://example.org/new?x=1#top");
    EXPECT_EQ(outcome.head.headers, (Fields{{"Location", "https://example.org/new?x=1#top"}}));
    expect_same_at_every_split(output);
}

TEST(CgiResponse, ClientRedirectKeepsTheScriptsStatus) {
    Outcome outcome = expect_complete("Status: 301 Moved Permanently\nLocation: http://a.test/\n\n");
    EXPECT_EQ(outcome.head.kind, Kind::kClientRedirect);
    EXPECT_EQ(outcome.head.status, 301);
    EXPECT_EQ(outcome.head.reason, "Moved Permanently");
}

TEST(CgiResponse, ClientRedirectWithDocument) {  // §6.2.4
    const std::string output =
        "Location: http://example.org/\nStatus: 302 Found\nContent-Type: text/html\n\n"
        "<a href=\"http://example.org/\">moved</a>";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.head.kind, Kind::kClientRedirectWithDocument);
    EXPECT_EQ(outcome.head.status, 302);
    EXPECT_EQ(outcome.head.headers,
              (Fields{{"Location", "http://example.org/"}, {"Content-Type", "text/html"}}));
    EXPECT_EQ(output.substr(outcome.consumed), "<a href=\"http://example.org/\">moved</a>");
    expect_same_at_every_split(output);

    // Without Status (which §6.2.4 asks for) it is still a 302.
    Outcome lenient = expect_complete("Location: http://example.org/\nContent-Type: text/html\n\n");
    EXPECT_EQ(lenient.head.kind, Kind::kClientRedirectWithDocument);
    EXPECT_EQ(lenient.head.status, 302);
}

TEST(CgiResponse, PathWithStatusOrBodyGoesToTheClient) {
    // Not the bare "Location: /path" of §6.2.2: sent as a relative reference.
    Outcome with_status = expect_complete("Status: 303 See Other\nLocation: /done.html\n\n");
    EXPECT_EQ(with_status.head.kind, Kind::kClientRedirect);
    EXPECT_EQ(with_status.head.status, 303);
    EXPECT_EQ(with_status.head.headers, (Fields{{"Location", "/done.html"}}));

    Outcome with_body = expect_complete("Location: /done.html\nContent-Type: text/plain\n\nsee /done");
    EXPECT_EQ(with_body.head.kind, Kind::kClientRedirectWithDocument);
    EXPECT_EQ(with_body.head.status, 302);
}

TEST(CgiResponse, AbsoluteUriSchemes) {
    for (const char* uri : {"http://a/", "HTTPS://a/", "mailto:someone@example.org", "urn:isbn:1",
                            "svn+ssh://h/r", "a.b-c+d:x"}) {
        Outcome outcome = expect_complete(std::string("Location: ") + uri + "\n\n");
        EXPECT_EQ(outcome.head.kind, Kind::kClientRedirect) << uri;
        EXPECT_EQ(outcome.head.location, uri);
    }
}

TEST(CgiResponse, LocationMustBeAbsoluteUriOrPath) {  // §6.3.2
    for (const char* uri : {"index.html", "../x", "?q=1", "#frag", "1http://a/", ":nothing",
                            "http:", "ht tp://a/", "-x:y", "a_b:c"}) {
        expect_error(std::string("Location: ") + uri + "\n\n", "Location");
    }
    expect_error("Location:\n\n", "empty");
    expect_error("Location:   \n\n", "empty");
}

// ---------------------------------------------------------------- malformed output

TEST(CgiResponse, NeedsAtLeastOneCgiField) {  // §6.2.1, §6.3
    expect_error("X-Only: other\nSet-Cookie: a=1\n\nbody", "no Content-Type, Location or Status");
    expect_error("\n\nbody", "no Content-Type");
    expect_error("\r\n", "no Content-Type");
    expect_error("Content-Length: 4\n\nbody", "no Content-Type");
}

TEST(CgiResponse, CgiFieldsAppearOnlyOnce) {  // §6.3
    expect_error("Status: 200\nStatus: 404\nContent-Type: a/b\n\n", "Status given twice");
    expect_error("Content-Type: a/b\ncontent-type: c/d\n\n", "Content-Type given twice");
    expect_error("Location: /a\nLocation: /b\n\n", "Location given twice");
    expect_error("Location: http://a/\nLocation: http://b/\n\n", "Location given twice");
}

TEST(CgiResponse, HeaderLineWithoutColon) {
    expect_error("Content-Type text/plain\n\n", "without a colon");
    expect_error("Content-Type: text/plain\nhello world\n\nbody", "without a colon");
    // A program that forgot its headers and wrote the body first.
    expect_error("<html><body>oops</body></html>\n", "without a colon");
}

TEST(CgiResponse, FieldNameMustBeAToken) {  // RFC 9110 §5.6.2
    for (const char* line : {": no name", "Content-Type : text/plain", "Content Type: text/plain",
                             "X(y): 1", "X/Y: 1", "X\"Y: 1", "X@Y: 1", "X\xC3\xA9: 1", "X\x01: 1",
                             "X[1]: 1", "\tX: 1"}) {
        Outcome outcome = parse(std::string("Content-Type: a/b\n") + line + "\n\n");
        EXPECT_EQ(outcome.status, Status::kError) << line;
    }
    // tchar is wider than letters and '-': these are fine.
    Outcome ok = expect_complete("Content-Type: a/b\nX_Y.Z!#$%&'*+^`|~: 1\n\n");
    EXPECT_EQ(ok.head.headers.back().first, "X_Y.Z!#$%&'*+^`|~");
}

TEST(CgiResponse, ObsoleteLineFoldingIsRefused) {
    expect_error("Content-Type: text/plain\nX-Long: first\n  continued\n\n", "line folding");
    expect_error("Content-Type: text/plain\nX-Long: first\n\tcontinued\n\n", "line folding");
}

TEST(CgiResponse, BareCrIsRefused) {
    expect_error("Content-Type: text/plain\rX-Injected: 1\n\n", "bare CR");
    expect_error("Content-Type: text/plain\r\r\n\r\n", "bare CR");
    expect_error("Content-Type: text/plain\n\r\r\n", "bare CR");
    expect_error("\rContent-Type: text/plain\n\n", "bare CR");
    expect_error("Content-\rType: text/plain\n\n", "bare CR");
    expect_error("Content-Type: text/plain\n\r \n", "bare CR");
    // Split right after the CR: the parser must not take it for a line end.
    Outcome split = parse_in_pieces("Content-Type: a/b\rX: 1\n\n", {18});
    EXPECT_EQ(split.status, Status::kError);
}

TEST(CgiResponse, ControlCharactersInValuesAreRefused) {
    for (std::string value : {std::string("a\0b", 3), std::string("\x01"), std::string("a\x1b[31m"),
                              std::string("\x7f"), std::string("a\x0b b"), std::string("a\x0c")}) {
        expect_error("Content-Type: text/plain\nX-Bad: " + value + "\n\n", "control character");
    }
    expect_error(std::string("Content-Type: text/pl\0ain\n\n", 27), "control character");
}

// A program that tries to add header lines through a value: every attempt
// either fails or leaves no CR or LF in any name or value.
TEST(CgiResponse, CrLfSmugglingNeverReachesTheClient) {
    const std::vector<std::string> attempts = {
        "Content-Type: text/plain\rSet-Cookie: evil=1\n\n",
        "Content-Type: text/plain\r\rSet-Cookie: evil=1\r\n\r\n",
        "Content-Type: text/plain\nX-A: a\rSet-Cookie: evil=1\n\n",
        "Content-Type: text/plain\nX-A: a\r\r\nSet-Cookie: evil=1\n\n",
        "Location: /a\rSet-Cookie: evil=1\n\n",
        "Status: 200 OK\rSet-Cookie: evil=1\nContent-Type: a/b\n\n",
        "Content-Type: text/plain\nX-A: a\r \nSet-Cookie: evil=1\n\n",
    };
    for (const std::string& attempt : attempts) {
        Outcome outcome = parse(attempt);
        EXPECT_EQ(outcome.status, Status::kError) << attempt;
        for (const auto& [name, value] : outcome.head.headers) {
            EXPECT_EQ(name.find_first_of("\r\n"), std::string::npos);
            EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos);
        }
    }
    // The same, fuzzed: random bytes from a small alphabet rich in CR, LF and ':'.
    std::mt19937 random(3875);
    const std::string alphabet = "\r\n\r\n:: \tab/-";
    const std::string prefixes[] = {"Content-Type: a/b\n", "Location: http://h/\n", "Status: 200\n"};
    for (int round = 0; round < 20000; ++round) {
        std::string output = prefixes[round % 3];
        std::size_t length = random() % 24;
        for (std::size_t i = 0; i < length; ++i) output += alphabet[random() % alphabet.size()];
        Outcome outcome = parse(output);
        if (outcome.status != Status::kComplete) continue;
        for (const auto& [name, value] : outcome.head.headers) {
            for (unsigned char c : name + value)
                ASSERT_TRUE(c >= 0x20 || c == '\t') << "leaked control 0x" << std::hex << int(c);
        }
        ASSERT_EQ(outcome.head.reason.find_first_of("\r\n"), std::string::npos);
    }
}

TEST(CgiResponse, ServerOwnedFieldsAreDropped) {
    const std::string output =
        "Connection: close\n"
        "Transfer-Encoding: chunked\n"
        "Content-Type: text/plain\n"
        "keep-alive: timeout=5\n"
        "DATE: Thu, 01 Jan 1970 00:00:00 GMT\n"
        "Server: evil/1.0\n"
        "Upgrade: websocket\n"
        "TE: trailers\n"
        "Trailer: X-Checksum\n"
        "Proxy-Connection: keep-alive\n"
        "X-Kept: yes\n"
        "\n";
    Outcome outcome = expect_complete(output);
    EXPECT_EQ(outcome.head.headers, (Fields{{"Content-Type", "text/plain"}, {"X-Kept", "yes"}}));
    EXPECT_EQ(outcome.head.dropped,
              (std::vector<std::string>{"Connection", "Transfer-Encoding", "keep-alive", "DATE",
                                        "Server", "Upgrade", "TE", "Trailer",
                                        "Proxy-Connection"}));
    expect_same_at_every_split(output);
    for (const char* name : {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                             "transfer-encoding", "upgrade", "date", "server"})
        EXPECT_TRUE(server_owned_field(name)) << name;
    for (const char* name : {"content-type", "set-cookie", "x-server", "cache-control", "status"})
        EXPECT_FALSE(server_owned_field(name)) << name;
}

// ---------------------------------------------------------------- limits

TEST(CgiResponse, HeaderSectionUpTo16KiB) {
    const std::string start = "Content-Type: text/plain\nX-Pad: ";
    const std::string end = "\n\n";
    std::string exact = start + std::string(16 * 1024 - start.size() - end.size(), 'p') + end;
    ASSERT_EQ(exact.size(), 16u * 1024);
    Outcome ok = expect_complete(exact + "body");
    EXPECT_EQ(ok.consumed, exact.size());

    std::string over = start + std::string(16 * 1024 - start.size() - end.size() + 1, 'p') + end;
    expect_error(over, "larger than 16384");
    // The same, fed in small pieces: the limit holds for a partial line too.
    std::vector<std::size_t> cuts;
    for (std::size_t i = 100; i < over.size(); i += 100) cuts.push_back(i);
    EXPECT_EQ(parse_in_pieces(over, cuts).status, Status::kError);
}

TEST(CgiResponse, ALineThatNeverEndsIsCutOffAtTheLimit) {
    CgiResponseParser parser;
    std::string piece(1000, 'x');
    std::size_t fed = 0;
    while (parser.status() == Status::kNeedMore && fed < 100 * 1000) {
        parser.feed(piece);
        fed += piece.size();
    }
    EXPECT_EQ(parser.status(), Status::kError);
    EXPECT_LE(fed, 17u * 1000);
}

TEST(CgiResponse, AtMost100Fields) {
    std::string fields = "Content-Type: text/plain\n";
    for (int i = 1; i < 100; ++i) fields += "X-" + std::to_string(i) + ": v\n";
    Outcome ok = expect_complete(fields + "\n");
    EXPECT_EQ(ok.head.headers.size(), 100u);
    expect_error(fields + "X-100: v\n\n", "more than 100");
    // Dropped fields count too: they were still lines to read.
    std::string dropped = "Content-Type: text/plain\n";
    for (int i = 0; i < 100; ++i) dropped += "Connection: close\n";
    expect_error(dropped + "\n", "more than 100");
}

TEST(CgiResponse, CustomLimits) {
    CgiResponseParser parser(CgiResponseLimits{.max_header_bytes = 64, .max_header_count = 2});
    parser.feed("Content-Type: a/b\nX: 1\nY: 2\n\n");
    EXPECT_EQ(parser.status(), Status::kError);
    CgiResponseParser small(CgiResponseLimits{.max_header_bytes = 20, .max_header_count = 100});
    small.feed("Content-Type: text/plain\n\n");
    EXPECT_EQ(small.status(), Status::kError);
}

// ---------------------------------------------------------------- the body and the end

TEST(CgiResponse, BodyBytesAreLeftOverAtEverySplit) {
    const std::string head = "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n";
    // A body that itself looks like header lines and holds CR, LF and NUL.
    const std::string body = std::string("Location: /x\r\n\r\n\0\r\rbinary", 25);
    const std::string output = head + body;
    for (std::size_t cut = 0; cut <= output.size(); ++cut) {
        CgiResponseParser parser;
        std::size_t first = parser.feed(std::string_view(output).substr(0, cut));
        std::string rest = output.substr(first);
        std::size_t second = parser.feed(rest);
        ASSERT_EQ(parser.status(), Status::kComplete) << "cut at " << cut;
        ASSERT_EQ(first + second, head.size()) << "cut at " << cut;
        ASSERT_EQ(rest.substr(second), body) << "cut at " << cut;
        ASSERT_EQ(parser.head().content_type, "application/octet-stream");
    }
}

TEST(CgiResponse, NothingIsConsumedAfterTheEnd) {
    CgiResponseParser parser;
    EXPECT_EQ(parser.feed("Content-Type: a/b\n\nbody"), 19u);
    EXPECT_EQ(parser.feed("more body\n\n"), 0u);
    EXPECT_EQ(parser.status(), Status::kComplete);

    CgiResponseParser failed;
    failed.feed("no colon here\n");
    EXPECT_EQ(failed.status(), Status::kError);
    EXPECT_EQ(failed.feed("Content-Type: a/b\n\n"), 0u);
    EXPECT_EQ(failed.status(), Status::kError);
}

TEST(CgiResponse, OutputEndingEarlyIsAnError) {
    Outcome nothing = parse("", /*eof=*/true);
    EXPECT_EQ(nothing.status, Status::kError);
    EXPECT_EQ(nothing.error, "CGI program wrote no output");

    for (const char* output : {"Content-Type: text/plain", "Content-Type: text/plain\n",
                               "Content-Type: text/plain\r\n", "Content-Type: text/plain\r\n\r"}) {
        Outcome early = parse(output, /*eof=*/true);
        EXPECT_EQ(early.status, Status::kError) << output;
        EXPECT_NE(early.error.find("ended before"), std::string::npos) << early.error;
    }

    Outcome complete = parse("Content-Type: text/plain\n\n", /*eof=*/true);
    EXPECT_EQ(complete.status, Status::kComplete);  // an empty body is fine
}

TEST(CgiResponse, EveryMalformedFormAtEverySplit) {
    for (const char* output : {"Content-Type text/plain\n\n", "Status: 4044\nContent-Type: a/b\n\n",
                               "Content-Type: a/b\rX: 1\n\n", "X: 1\n\n", "Location: x\n\n",
                               "Status: 200\nStatus: 200\n\n", "Content-Type: a/b\n  fold\n\n"}) {
        SCOPED_TRACE(output);
        expect_same_at_every_split(output);
        EXPECT_EQ(parse(output).status, Status::kError);
    }
}

TEST(CgiResponse, KindNames) {
    EXPECT_EQ(to_string(Kind::kDocument), "document");
    EXPECT_EQ(to_string(Kind::kLocalRedirect), "local-redirect");
    EXPECT_EQ(to_string(Kind::kClientRedirect), "client-redirect");
    EXPECT_EQ(to_string(Kind::kClientRedirectWithDocument), "client-redirect-with-document");
}

}  // namespace
