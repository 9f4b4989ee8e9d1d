// libFuzzer target: CgiResponseParser (step05-cgi/src/cgi_response.cpp).
// Not part of any step; built by fuzz/run.
//
// The input (see fuzz_support.hpp) is what a CGI program writes on its
// stdout, fed in pieces whose sizes come from its first bytes, then the
// end of the output. Invariants:
//   - feed() never consumes more than it is given; after kComplete or
//     kError it consumes nothing;
//   - after kComplete: status in 200..599; no header name or value, no
//     reason phrase holds CR, LF or another control byte; names are tokens;
//     Status, Content-Length and the server's own fields never pass; a
//     local redirect carries nothing but its Location; the section is
//     within the limits;
//   - output ending before the empty line is an error;
//   - fed whole, byte by byte or in pieces: the same head, the same body
//     offset, the same error.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgi_response.hpp"
#include "fuzz_support.hpp"

namespace {

using Status = CgiResponseParser::Status;

struct Outcome {
    Status status = Status::kNeedMore;
    std::size_t consumed = 0;  // compared only for kComplete
    CgiResponseKind kind = CgiResponseKind::kDocument;
    int code = 0;
    std::string reason, content_type, location;
    std::optional<std::size_t> content_length;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::string> dropped;
    std::string error;

    bool operator==(const Outcome& o) const {
        if (status != o.status)
            return false;
        if (status == Status::kError)
            return error == o.error;
        return consumed == o.consumed && kind == o.kind && code == o.code && reason == o.reason &&
               content_type == o.content_type && location == o.location &&
               content_length == o.content_length && headers == o.headers && dropped == o.dropped;
    }
};

CgiResponseLimits limits_for(bool small) {
    CgiResponseLimits l;
    if (small) {
        l.max_header_bytes = 128;
        l.max_header_count = 4;
    }
    return l;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

void check_head(const CgiResponseHead& h, std::size_t consumed, const CgiResponseLimits& limits) {
    FUZZ_CHECK(h.status >= 200 && h.status <= 599, "status " + std::to_string(h.status));
    FUZZ_CHECK(fuzz::is_safe_value(h.reason),
               "reason with a control byte: " + fuzz::escaped(h.reason));
    FUZZ_CHECK(consumed <= limits.max_header_bytes, "header section over the limit");
    FUZZ_CHECK(h.headers.size() <= limits.max_header_count, "too many fields");
    for (const auto& [name, value] : h.headers) {
        FUZZ_CHECK(!fuzz::has_cr_or_lf(name) && !fuzz::has_cr_or_lf(value),
                   "CR/LF in a header: " + fuzz::escaped(name) + ": " + fuzz::escaped(value));
        FUZZ_CHECK(fuzz::is_token(name), "field name not a token: " + fuzz::escaped(name));
        FUZZ_CHECK(fuzz::is_safe_value(value), "control byte in a value: " + fuzz::escaped(value));
        const std::string l = lower(name);
        FUZZ_CHECK(l != "status" && l != "content-length" && !server_owned_field(l),
                   "field passed on: " + name);
    }
    switch (h.kind) {
        case CgiResponseKind::kLocalRedirect:
            FUZZ_CHECK(h.location.starts_with("/"),
                       "local redirect to " + fuzz::escaped(h.location));
            FUZZ_CHECK(h.headers.empty() && !h.content_length, "local redirect carries fields");
            break;
        case CgiResponseKind::kClientRedirect:
        case CgiResponseKind::kClientRedirectWithDocument:
            FUZZ_CHECK(!h.location.empty(), "client redirect without Location");
            break;
        case CgiResponseKind::kDocument:
            FUZZ_CHECK(h.location.empty(), "document with Location");
            break;
    }
    FUZZ_CHECK(!fuzz::has_cr_or_lf(h.location) && !fuzz::has_cr_or_lf(h.content_type),
               "CR/LF in Location or Content-Type");
}

Outcome run(std::string_view data, const std::vector<std::size_t>& pieces,
            const CgiResponseLimits& limits) {
    CgiResponseParser parser(limits);
    std::size_t pos = 0;     // where the header section ended (the body starts)
    std::size_t offset = 0;  // where the next piece starts
    for (std::size_t piece : pieces) {
        std::string_view chunk = data.substr(offset, piece);
        offset += piece;
        const Status before = parser.status();
        const std::size_t used = parser.feed(chunk);
        FUZZ_CHECK(used <= chunk.size(), "feed() consumed more than it was given");
        if (before != Status::kNeedMore) {  // the rest is body, or ignored after an error
            FUZZ_CHECK(used == 0 && parser.status() == before, "feed() went on after the end");
            continue;
        }
        pos += used;
        if (parser.status() == Status::kNeedMore)
            FUZZ_CHECK(used == chunk.size(), "kNeedMore but bytes left unconsumed");
    }
    const Status at_end = parser.status();
    parser.end_of_output();
    if (at_end == Status::kNeedMore)
        FUZZ_CHECK(parser.status() == Status::kError, "output ended inside the header section");
    else
        FUZZ_CHECK(parser.status() == at_end, "end_of_output() changed a finished parser");

    Outcome out;
    out.status = parser.status();
    if (out.status == Status::kError) {
        out.error = parser.error_reason();
        FUZZ_CHECK(!out.error.empty(), "error without a reason");
        return out;
    }
    const CgiResponseHead& h = parser.head();
    check_head(h, pos, limits);
    FUZZ_CHECK(parser.feed(data.substr(pos)) == 0, "feed() consumed body bytes");
    out.consumed = pos;
    out.kind = h.kind;
    out.code = h.status;
    out.reason = h.reason;
    out.content_type = h.content_type;
    out.location = h.location;
    out.content_length = h.content_length;
    out.headers = h.headers;
    out.dropped = h.dropped;
    return out;
}

std::string describe(const Outcome& o) {
    if (o.status == Status::kError)
        return "kError: " + o.error;
    if (o.status == Status::kNeedMore)
        return "kNeedMore";
    return "kComplete " + std::string(to_string(o.kind)) + " " + std::to_string(o.code) +
           " consumed=" + std::to_string(o.consumed) +
           " fields=" + std::to_string(o.headers.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const fuzz::SplitInput in = fuzz::split_input(bytes, size);
    const CgiResponseLimits limits = limits_for(in.small_limits);
    const std::string_view data = in.data;

    const Outcome whole = run(data, fuzz::whole(data.size()), limits);
    const Outcome bytewise = run(data, fuzz::byte_by_byte(data.size()), limits);
    const Outcome pieces = run(data, fuzz::plan_pieces(in.sizes, data.size()), limits);
    FUZZ_CHECK(whole == bytewise,
               "whole: " + describe(whole) + "\n  byte by byte: " + describe(bytewise));
    FUZZ_CHECK(whole == pieces, "whole: " + describe(whole) + "\n  pieces: " + describe(pieces));
    return 0;
}
