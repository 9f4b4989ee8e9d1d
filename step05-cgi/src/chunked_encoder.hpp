// Framing a body of unknown length as HTTP/1.1 chunks (RFC 9112 §7.1), for
// CGI output that comes without a Content-Length. Introduced in step05.
//
//   "1a\r\n" <26 bytes of data> "\r\n"   one chunk: size in hex, data, CRLF
//   ...
//   "0\r\n\r\n"                          the last chunk: size 0, no trailers
//
// Pure functions: any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Ends the chunked body: a chunk of size 0 and the empty trailer section.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// The CRLF that follows each chunk's data.
inline constexpr std::string_view kChunkDataEnd = "\r\n";

// "1a\r\n" for 26: the line before `size` bytes of chunk data. Lets the
// caller send the data from its own buffer (writev) instead of copying it.
std::string chunk_size_line(std::size_t size);

// Appends `data` to `out` framed as one chunk. Empty data appends nothing:
// a chunk of size 0 would end the body (only kLastChunk may do that).
void append_chunk(std::string& out, std::string_view data);

// `data` framed as one chunk ("" for empty data).
std::string encode_chunk(std::string_view data);
