// libFuzzer target: RequestParser (step05-cgi/src/request_parser.cpp, the
// parser every step carries). Not part of any step; built by fuzz/run.
//
// The input (see fuzz_support.hpp) is a stream of pipelined requests, fed
// in pieces whose sizes come from its first bytes. Invariants:
//   - feed() never consumes more than it is given, and consumes everything
//     while it still needs more (so the caller can drop what it fed);
//   - kComplete and kError are final until reset(): feeding more consumes
//     nothing and changes nothing;
//   - a completed request is well-formed and within the limits;
//   - a kError carries one of 400, 413, 414, 431, 501, 505 and a reason;
//   - reset() makes the parser as good as a new one (also after kError);
//   - fed whole, byte by byte or in the fuzzer's pieces, the stream gives
//     the same requests, ending at the same offsets, and the same outcome.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "request_parser.hpp"

namespace {

using Status = RequestParser::Status;

struct Parsed {
    std::string method, target;
    int version_minor = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool keep_alive = false;
    std::size_t end = 0;  // offset in the stream just after this request

    bool operator==(const Parsed&) const = default;
};

struct Outcome {
    std::vector<Parsed> requests;
    Status last = Status::kNeedMore;  // of the request after the last complete one
    int error_status = 0;
    std::string error_reason;
    bool started = false;  // compared only when last == kNeedMore

    bool operator==(const Outcome& o) const {
        return requests == o.requests && last == o.last && error_status == o.error_status &&
               error_reason == o.error_reason &&
               (last != Status::kNeedMore || started == o.started);
    }
};

ParserLimits limits_for(bool small) {
    if (!small)
        return ParserLimits{};
    ParserLimits l;
    l.max_request_line = 64;
    l.max_header_bytes = 256;
    l.max_header_count = 8;
    l.max_body = 512;
    return l;
}

const char* name(Status s) {
    switch (s) {
        case Status::kNeedMore:
            return "kNeedMore";
        case Status::kComplete:
            return "kComplete";
        case Status::kError:
            return "kError";
    }
    return "?";
}

void check_request(const Request& r, const ParserLimits& limits) {
    FUZZ_CHECK(fuzz::is_token(r.method), "method is not a token: " + fuzz::escaped(r.method));
    FUZZ_CHECK(!r.target.empty(), "empty target");
    for (unsigned char c : r.target)
        FUZZ_CHECK(c > 0x20 && c < 0x7f, "target byte out of range: " + fuzz::escaped(r.target));
    FUZZ_CHECK(r.version_minor == 0 || r.version_minor == 1, "version");
    FUZZ_CHECK(r.method.size() + r.target.size() + 10 <= limits.max_request_line,
               "request line longer than the limit");
    FUZZ_CHECK(r.headers.size() <= limits.max_header_count, "too many header fields");
    std::size_t header_bytes = 0, hosts = 0;
    bool has_length = false, has_coding = false;
    for (const auto& f : r.headers) {
        FUZZ_CHECK(fuzz::is_token(f.name), "field name not a token: " + fuzz::escaped(f.name));
        for (char c : f.name)
            FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "field name not lower-case: " + f.name);
        FUZZ_CHECK(fuzz::is_safe_value(f.value),
                   "control byte in value: " + fuzz::escaped(f.value));
        if (!f.value.empty()) {
            FUZZ_CHECK(f.value.front() != ' ' && f.value.front() != '\t' && f.value.back() != ' ' &&
                           f.value.back() != '\t',
                       "value not trimmed: " + fuzz::escaped(f.value));
        }
        header_bytes += f.name.size() + 1 + f.value.size() + 2;  // at least this much was read
        if (f.name == "host")
            ++hosts;
        if (f.name == "content-length")
            has_length = true;
        if (f.name == "transfer-encoding")
            has_coding = true;
    }
    FUZZ_CHECK(header_bytes + 2 <= limits.max_header_bytes, "header section over the limit");
    FUZZ_CHECK(hosts <= 1, "two Host fields accepted");
    if (r.version_minor == 1)
        FUZZ_CHECK(hosts == 1, "HTTP/1.1 without Host accepted");
    FUZZ_CHECK(!(has_length && has_coding), "Content-Length and Transfer-Encoding both accepted");
    if (has_coding)
        FUZZ_CHECK(r.version_minor == 1, "Transfer-Encoding in HTTP/1.0 accepted");
    FUZZ_CHECK(r.body.size() <= limits.max_body, "body over the limit");
    if (has_length) {
        const std::string* cl = r.header("content-length");
        const bool digits = cl && !cl->empty() && cl->size() <= 18 &&
                            cl->find_first_not_of("0123456789") == std::string::npos;
        FUZZ_CHECK(digits, "malformed Content-Length accepted");
        if (digits)
            FUZZ_CHECK(std::stoull(*cl) == r.body.size(),
                       "body length differs from Content-Length");
    } else if (!has_coding) {
        FUZZ_CHECK(r.body.empty(), "body without framing");
    }
}

void check_error(const RequestParser& p) {
    const int s = p.error_status();
    FUZZ_CHECK(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505,
               "error status " + std::to_string(s));
    FUZZ_CHECK(!p.error_reason().empty(), "error without a reason");
    FUZZ_CHECK(!fuzz::has_cr_or_lf(p.error_reason()),
               "reason has CR/LF: " + fuzz::escaped(p.error_reason()));
}

// After kComplete or kError the parser takes nothing more until reset().
void check_final(RequestParser& p, std::string_view more) {
    const Status before = p.status();
    const int err = p.error_status();
    const Request copy = p.request();
    FUZZ_CHECK(p.feed(more) == 0, std::string("feed() consumed after ") + name(before));
    FUZZ_CHECK(p.status() == before && p.error_status() == err, "final status changed");
    FUZZ_CHECK(p.request().method == copy.method && p.request().target == copy.target &&
                   p.request().body == copy.body &&
                   p.request().headers.size() == copy.headers.size(),
               "request changed after the end");
}

// A parser that was reset behaves as a fresh one on a known request.
void check_reusable(RequestParser& p) {
    p.reset();
    FUZZ_CHECK(p.status() == Status::kNeedMore, "reset(): status");
    FUZZ_CHECK(!p.started(), "reset(): started");
    FUZZ_CHECK(p.error_status() == 0 && p.error_reason().empty(), "reset(): error kept");
    constexpr std::string_view kGood =
        "GET /a?b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok";
    FUZZ_CHECK(p.feed(kGood) == kGood.size(), "reset(): good request not consumed");
    FUZZ_CHECK(p.status() == Status::kComplete, "reset(): good request not complete");
    const Request& r = p.request();
    FUZZ_CHECK(r.method == "GET" && r.target == "/a?b" && r.version_minor == 1 &&
                   r.headers.size() == 2 && r.body == "ok" && r.keep_alive,
               "reset(): good request parsed differently");
}

// Feeds `data` in pieces of the given lengths, as a connection would: what
// a complete request leaves over is fed to the next one. `fresh` uses a new
// parser for each request instead of reset().
Outcome run(std::string_view data, const std::vector<std::size_t>& pieces,
            const ParserLimits& limits, bool fresh, bool check_reuse) {
    Outcome out;
    RequestParser parser(limits);
    std::size_t pos = 0, piece_end = 0;
    for (std::size_t piece : pieces) {
        piece_end += piece;
        while (pos < piece_end) {
            std::string_view chunk = data.substr(pos, piece_end - pos);
            FUZZ_CHECK(parser.status() == Status::kNeedMore, "feeding a finished parser");
            const std::size_t used = parser.feed(chunk);
            FUZZ_CHECK(used <= chunk.size(), "feed() consumed more than it was given");
            pos += used;
            switch (parser.status()) {
                case Status::kNeedMore:
                    FUZZ_CHECK(used == chunk.size(), "kNeedMore but bytes left unconsumed");
                    break;
                case Status::kComplete: {
                    FUZZ_CHECK(pos <= data.size(), "consumed beyond the input");
                    const Request& r = parser.request();
                    check_request(r, limits);
                    Parsed p{r.method, r.target, r.version_minor, {}, r.body, r.keep_alive, pos};
                    for (const auto& f : r.headers)
                        p.headers.emplace_back(f.name, f.value);
                    out.requests.push_back(std::move(p));
                    check_final(parser, data.substr(pos));
                    if (fresh)
                        parser = RequestParser(limits);
                    else
                        parser.reset();
                    break;
                }
                case Status::kError:
                    check_error(parser);
                    check_final(parser, data.substr(pos));
                    out.last = Status::kError;
                    out.error_status = parser.error_status();
                    out.error_reason = parser.error_reason();
                    if (check_reuse)
                        check_reusable(parser);
                    return out;
            }
        }
    }
    out.last = parser.status();
    out.started = parser.started();
    return out;
}

std::string describe(const Outcome& o) {
    std::string s = std::to_string(o.requests.size()) + " request(s)";
    for (const auto& r : o.requests)
        s += " [" + fuzz::escaped(r.method, 20) + " " + fuzz::escaped(r.target, 40) +
             " end=" + std::to_string(r.end) + " body=" + std::to_string(r.body.size()) + "]";
    s += std::string(", then ") + name(o.last);
    if (o.last == Status::kError)
        s += " " + std::to_string(o.error_status) + " " + o.error_reason;
    if (o.last == Status::kNeedMore)
        s += o.started ? " (started)" : " (not started)";
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const fuzz::SplitInput in = fuzz::split_input(bytes, size);
    const ParserLimits limits = limits_for(in.small_limits);
    const std::string_view data = in.data;

    const Outcome whole = run(data, fuzz::whole(data.size()), limits, false, true);
    const Outcome pieces =
        run(data, fuzz::plan_pieces(in.sizes, data.size()), limits, false, false);
    const Outcome bytewise = run(data, fuzz::byte_by_byte(data.size()), limits, false, false);
    const Outcome fresh = run(data, fuzz::whole(data.size()), limits, true, false);

    FUZZ_CHECK(whole == bytewise,
               "whole: " + describe(whole) + "\n  byte by byte: " + describe(bytewise));
    FUZZ_CHECK(whole == pieces, "whole: " + describe(whole) + "\n  pieces: " + describe(pieces));
    FUZZ_CHECK(whole == fresh,
               "after reset(): " + describe(whole) + "\n  new parser: " + describe(fresh));
    return 0;
}
