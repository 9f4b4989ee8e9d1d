// Unit tests for the chunked encoder: the size line, one chunk, the last
// chunk, and a round trip through the server's own request parser, which
// decodes chunked bodies (RFC 9112 §7.1).
#include "chunked_encoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "request_parser.hpp"

namespace {

TEST(ChunkedEncoder, SizeLineIsHexWithCrlf) {
    EXPECT_EQ(chunk_size_line(0), "0\r\n");
    EXPECT_EQ(chunk_size_line(1), "1\r\n");
    EXPECT_EQ(chunk_size_line(9), "9\r\n");
    EXPECT_EQ(chunk_size_line(10), "a\r\n");
    EXPECT_EQ(chunk_size_line(15), "f\r\n");
    EXPECT_EQ(chunk_size_line(16), "10\r\n");
    EXPECT_EQ(chunk_size_line(26), "1a\r\n");
    EXPECT_EQ(chunk_size_line(255), "ff\r\n");
    EXPECT_EQ(chunk_size_line(4096), "1000\r\n");
    EXPECT_EQ(chunk_size_line(65535), "ffff\r\n");
    EXPECT_EQ(chunk_size_line(0xdeadbeef), "deadbeef\r\n");
    if constexpr (sizeof(std::size_t) == 8) {
        EXPECT_EQ(chunk_size_line(std::numeric_limits<std::size_t>::max()),
                  "ffffffffffffffff\r\n");
    }
}

TEST(ChunkedEncoder, OneChunk) {
    EXPECT_EQ(encode_chunk("hello"), "5\r\nhello\r\n");
    EXPECT_EQ(encode_chunk("line 1 of 5\n"), "c\r\nline 1 of 5\n\r\n");
    // Data is opaque: CRLF and NUL inside it are just bytes.
    EXPECT_EQ(encode_chunk(std::string("\r\n\0", 3)), std::string("3\r\n\r\n\0\r\n", 8));
    std::string big(1000, 'x');
    EXPECT_EQ(encode_chunk(big), "3e8\r\n" + big + "\r\n");
}

TEST(ChunkedEncoder, EmptyDataMakesNoChunk) {
    // A zero-size chunk would end the body early.
    EXPECT_EQ(encode_chunk(""), "");
    std::string out = "kept";
    append_chunk(out, "");
    EXPECT_EQ(out, "kept");
}

TEST(ChunkedEncoder, AppendAddsToWhatIsThere) {
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    append_chunk(out, "ab");
    append_chunk(out, "cde");
    out += kLastChunk;
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
}

TEST(ChunkedEncoder, LastChunkAndDataEnd) {
    EXPECT_EQ(kLastChunk, "0\r\n\r\n");
    EXPECT_EQ(kChunkDataEnd, "\r\n");
    // The pieces for writev(): size line, the caller's data, CRLF.
    EXPECT_EQ(chunk_size_line(5) + "hello" + std::string(kChunkDataEnd), encode_chunk("hello"));
}

TEST(ChunkedEncoder, RoundTripThroughTheRequestParser) {
    std::vector<std::string> pieces = {"line 1 of 5\n", "", std::string(5000, 'z'),
                                       std::string("bin\0ary\r\n", 9), "0", "\r\n0\r\n\r\n"};
    std::string expected;
    std::string message =
        "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const std::string& piece : pieces) {
        append_chunk(message, piece);
        expected += piece;
    }
    message += kLastChunk;

    RequestParser parser;
    EXPECT_EQ(parser.feed(message), message.size());
    ASSERT_EQ(parser.status(), RequestParser::Status::kComplete) << parser.error_reason();
    EXPECT_EQ(parser.request().body, expected);
}

}  // namespace
