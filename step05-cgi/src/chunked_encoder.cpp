// HTTP/1.1 chunked framing (RFC 9112 §7.1). Introduced in step05.
// The size is written in lower-case hex without leading zeros; RFC 9112
// accepts either case, and the shortest form keeps each chunk cheap.
#include "chunked_encoder.hpp"

std::string chunk_size_line(std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    char digits[2 * sizeof(std::size_t)];
    std::size_t count = 0;
    do {  // least significant digit first
        digits[count++] = kHex[size & 0xf];
        size >>= 4;
    } while (size != 0);
    std::string line;
    line.reserve(count + 2);
    while (count > 0) line += digits[--count];
    line += "\r\n";
    return line;
}

void append_chunk(std::string& out, std::string_view data) {
    if (data.empty()) return;
    out += chunk_size_line(data.size());
    out += data;
    out += kChunkDataEnd;
}

std::string encode_chunk(std::string_view data) {
    std::string out;
    out.reserve(data.size() + 2 * sizeof(std::size_t) + 4);
    append_chunk(out, data);
    return out;
}
