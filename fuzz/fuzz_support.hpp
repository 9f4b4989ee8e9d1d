// Helpers shared by the libFuzzer targets in fuzz/ (not part of any step).
//
// FUZZ_CHECK(cond, what) aborts with a message when an invariant breaks, so
// libFuzzer records the input as a crash in build/fuzz/crashes/.
//
// Targets that feed a parser in pieces read the piece sizes from the first
// bytes of the input:
//
//   byte 0      bits 0-2: k, how many size bytes follow (0: one piece)
//               bit 3:    small limits (so that the fuzzer reaches them)
//   bytes 1..k  piece sizes, each byte b meaning b + 1 bytes, used in turn
//   the rest    the bytes the parser is fed
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// fuzz/run --coverage builds with FUZZ_CHECK_NO_ABORT: there it measures
// what the corpus reaches, and a broken invariant is only printed.
#ifdef FUZZ_CHECK_NO_ABORT
#define FUZZ_CHECK_FAILED() (void)0
#else
#define FUZZ_CHECK_FAILED() std::abort()
#endif

#define FUZZ_CHECK(cond, what)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, \
                         #cond, std::string(what).c_str());                                        \
            FUZZ_CHECK_FAILED();                                                                   \
        }                                                                                          \
    } while (0)

namespace fuzz {

struct SplitInput {
    std::vector<std::size_t> sizes;  // the cycle of piece sizes; empty: one piece
    bool small_limits = false;
    std::string_view data;
};

inline SplitInput split_input(const std::uint8_t* bytes, std::size_t size) {
    SplitInput in;
    if (size == 0)
        return in;
    const std::size_t k = bytes[0] & 7u;
    in.small_limits = (bytes[0] & 8u) != 0;
    std::size_t i = 1;
    for (; i <= k && i < size; ++i)
        in.sizes.push_back(static_cast<std::size_t>(bytes[i]) + 1);
    in.data = std::string_view(reinterpret_cast<const char*>(bytes) + i, size - i);
    return in;
}

// The lengths of the pieces that cover `total` bytes.
inline std::vector<std::size_t> plan_pieces(const std::vector<std::size_t>& sizes,
                                            std::size_t total) {
    std::vector<std::size_t> out;
    if (sizes.empty()) {
        if (total > 0)
            out.push_back(total);
        return out;
    }
    for (std::size_t at = 0, i = 0; at < total; ++i) {
        std::size_t n = std::min(sizes[i % sizes.size()], total - at);
        out.push_back(n);
        at += n;
    }
    return out;
}

inline std::vector<std::size_t> whole(std::size_t total) {
    return total ? std::vector<std::size_t>{total} : std::vector<std::size_t>{};
}

inline std::vector<std::size_t> byte_by_byte(std::size_t total) {
    return std::vector<std::size_t>(total, 1);
}

inline bool is_tchar(unsigned char c) {  // RFC 9110 §5.6.2
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

inline bool is_token(std::string_view s) {
    if (s.empty())
        return false;
    for (unsigned char c : s)
        if (!is_tchar(c))
            return false;
    return true;
}

// A field value that can be written on a header line: no CTL but HTAB.
inline bool is_safe_value(std::string_view s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    return true;
}

inline bool has_cr_or_lf(std::string_view s) {
    return s.find('\r') != std::string_view::npos || s.find('\n') != std::string_view::npos;
}

// Printable form of a short piece of input for FUZZ_CHECK messages.
inline std::string escaped(std::string_view s, std::size_t max = 200) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > max)
        out += "...";
    return out;
}

}  // namespace fuzz
